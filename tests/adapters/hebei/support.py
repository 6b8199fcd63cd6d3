"""Helpers for the Hebei codec tests: rows, documents, a codec with a fixed clock."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from adapters.hebei import HebeiCodec
from adapters.hebei.tables import HEADER
from jjj.case.v1 import case_pb2

FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)

# A complete, canonical work order (the first row of hb_mixed_four.csv, phone in its plain form).
HOTLINE_ROW: dict[str, str] = dict.fromkeys(HEADER, "") | {
    "件号": "HB1310222026000123",
    "类别": "热线工单",
    "来源渠道": "12345热线",
    "诉求类型": "投诉",
    "标题": "工业园区道路破损",
    "内容": "固安工业园区新中街道路坑洼，雨天积水。",
    "姓名": "陈刚",
    "证件类型": "身份证",
    "证件号码": "131022198808081232",
    "联系电话": "13931600000",
    "是否匿名": "否",
    "区县代码": "131022",
    "详细地址": "河北省廊坊市固安县新中街",
    "经度": "116.2988",
    "纬度": "39.4384",
    "分类代码": "A0101",
    "分类名称": "物业服务",
    "紧急程度": "一般",
    "登记时间": "2026/11/24 9:05",
    "办理期限": "2026/12/1 9:05",
    "办理状态": "已交办",
    "承办单位": "GA001:固安县住建局；GA002:固安县交通局",
    "流转记录": "2026/11/24 9:05|登记|话务员12|；2026/11/24 9:20|交办|调度员3|请住建局牵头",
}

# A petition (the second row of hb_mixed_four.csv, canonical spellings).
PETITION_ROW: dict[str, str] = dict.fromkeys(HEADER, "") | {
    "件号": "HB1310822026000456",
    "类别": "信访件",
    "来源渠道": "来访",
    "诉求类型": "求助",
    "内容": "燕郊某楼盘延期交房两年，开发商失联，业主二十人集体来访。",
    "姓名": "李华",
    "证件类型": "身份证",
    "证件号码": "131082197501014563",
    "联系电话": "0316-5551234",
    "是否匿名": "否",
    "区县代码": "131082",
    "详细地址": "三河市燕郊镇某楼盘",
    "分类代码": "A0102",
    "分类名称": "房屋质量",
    "紧急程度": "紧急",
    "登记时间": "2026/11/23 14:30",
    "办理期限": "2027/1/22 14:30",
    "办理状态": "办理中",
    "信访形式": "来访",
    "信访人数": "20",
    "是否越级": "否",
    "是否重复": "是",
    "是否初信初访": "否",
    "信访目的": "求决",
}


def codec() -> HebeiCodec:
    return HebeiCodec(clock=lambda: FIXED_NOW)


def row(base: dict[str, str] | None = None, **cells: str) -> dict[str, str]:
    return dict(base or HOTLINE_ROW) | cells


def csv_text(rows: list[dict[str, str] | list[str]], header: list[str] | tuple[str, ...] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for item in rows:
        writer.writerow([item[name] for name in HEADER] if isinstance(item, dict) else item)
    return buffer.getvalue()


def document(rows: list[dict[str, str] | list[str]], encoding: str = "gb18030", **kwargs) -> bytes:
    return csv_text(rows, **kwargs).encode(encoding)


def without_provenance(case: case_pb2.Case) -> case_pb2.Case:
    copy = case_pb2.Case()
    copy.CopyFrom(case)
    copy.ClearField("provenance")
    return copy

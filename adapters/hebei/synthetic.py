"""Deterministic synthetic Hebei rows, for load tests and the mapping benchmark.

Rows look like a real export: mostly work orders, some petitions, phones typed
every which way, some coordinates, handlers and trails. Every row is valid (it maps
to a case); the data is made up (ids carry correct check digits, names are common
ones, numbers are random).
"""

from __future__ import annotations

import codecs
import io
import csv
import random
from collections.abc import Iterator

from kernel.normalize.resident_id import gb11643_check_digit
from adapters.hebei.tables import HEADER

_COUNTIES = ("131022", "131082", "131003", "130606", "130102", "131024", "131028", "130203")
_CATEGORIES = (("A0101", "物业服务"), ("B0201", "公交线路"), ("C0302", "食品安全"), ("D0401", "噪音扰民"), ("Z9999", "其他"))
_CHANNELS = ("12345热线", "12345热线", "12345热线", "网站", "微信", "冀时办", "来信", "来访", "微博")
_REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬", "其他")
_STATUSES = ("登记", "已交办", "已转办", "办理中", "已答复", "已回访", "已办结")
_NAMES = ("陈刚", "李华", "王芳", "张伟", "刘洋", "杨光", "赵敏")
_CONTENT = "小区门口道路坑洼，雨天积水严重，居民出行不便，希望尽快修复。"


def _resident_id(rng: random.Random, county: str) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{county}{birth}{rng.randint(0, 999):03d}"
    return first17 + gb11643_check_digit(first17)


def _phone(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.15:
        return ""
    mobile = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
    if kind < 0.65:
        return mobile
    if kind < 0.80:
        return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    return f"0316-{rng.randint(2_000_000, 8_999_999)}"


def synthetic_row(rng: random.Random, serial: int) -> dict[str, str]:
    county = rng.choice(_COUNTIES)
    petition = rng.random() < 0.1
    anonymous = rng.random() < 0.1
    day, hour, minute = rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
    code, name = rng.choice(_CATEGORIES)
    row = dict.fromkeys(HEADER, "")
    row.update(
        {
            "件号": f"HB{county}2026{serial % 1_000_000:06d}",
            "类别": "信访件" if petition else "热线工单",
            "来源渠道": "来访" if petition else rng.choice(_CHANNELS),
            "诉求类型": rng.choice(_REQUEST_TYPES),
            "标题": "道路破损" if rng.random() < 0.5 else "",
            "内容": f"{_CONTENT}（编号{serial}）",
            "是否匿名": "是" if anonymous else "否",
            "区县代码": county,
            "详细地址": "河北省廊坊市固安县新中街" if rng.random() < 0.7 else "",
            "分类代码": code,
            "分类名称": name,
            "紧急程度": rng.choice(("一般", "一般", "一般", "紧急", "特急")),
            "登记时间": f"2026/11/{day} {hour}:{minute:02d}",
            "办理期限": f"2026/12/{day} {hour}:{minute:02d}" if rng.random() < 0.6 else "",
            "办理状态": rng.choice(_STATUSES),
        }
    )
    if not anonymous:
        row.update(
            {"姓名": rng.choice(_NAMES), "证件类型": "身份证", "证件号码": _resident_id(rng, county), "联系电话": _phone(rng)}
        )
    if rng.random() < 0.5:
        row["经度"], row["纬度"] = f"{rng.uniform(115.5, 117.5):.4f}", f"{rng.uniform(38.5, 40.5):.4f}"
    if rng.random() < 0.4:
        row["承办单位"] = "GA001:固安县住建局；GA002:固安县交通局"
        row["流转记录"] = f"2026/11/{day} {hour}:{minute:02d}|登记|话务员12|；2026/11/{day} {hour}:{minute:02d}|交办|调度员3|请住建局牵头"
    if petition:
        row.update({"信访形式": "来访", "信访人数": str(rng.randint(1, 30)), "是否越级": "否"})
        row.update({"是否重复": "是", "是否初信初访": "否", "信访目的": "求决"})
    return row


def synthetic_rows(count: int, seed: int = 12345) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    for serial in range(count):
        yield synthetic_row(rng, serial)


def synthetic_document(count: int, seed: int = 12345, encoding: str = "gb18030") -> Iterator[bytes]:
    """A whole CSV document in chunks (header first), without holding it in memory."""
    encoder = codecs.getincrementalencoder(encoding)()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for index, row in enumerate(synthetic_rows(count, seed), start=1):
        writer.writerow(row.values())
        if index % 1000 == 0:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    yield encoder.encode(buffer.getvalue(), final=True)

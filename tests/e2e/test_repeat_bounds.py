"""One caller's near-identical batch: every row a repeat of every earlier one, the answer bounded and true."""

from __future__ import annotations

import csv
import io
import resource
import time

from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from adapters.hebei.tables import HEADER
from adapters.hebei.synthetic import synthetic_rows
from kernel.domain.repeats import RepeatPolicy

ROWS = 3000
POLICY = RepeatPolicy.load()


def near_identical_batch(count: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for serial, row in enumerate(synthetic_rows(count)):
        row.update({"是否匿名": "否", "姓名": "王芳", "证件类型": "身份证", "证件号码": "131022199001011236", "联系电话": "13831600000",
                    "区县代码": "131022", "分类代码": "A0101", "分类名称": "物业服务", "类别": "热线工单",
                    "内容": f"小区门口道路坑洼，雨天积水严重，居民出行不便，希望尽快修复。第{serial}次反映",
                    "登记时间": "2026/11/20 9:00", "办理期限": ""})
        writer.writerow(row.values())
    return buffer.getvalue().encode("gb18030")


async def test_a_batch_of_near_identical_rows_answers_fast_with_bounded_true_repeat_links(federation):
    await federation.start("hebei")
    hebei = federation.stub("hebei")
    document = adapter_pb2.NativeDocument(content=near_identical_batch(ROWS), format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    answer = await hebei.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
        document=document, destination=case_pb2.JURISDICTION_BEIJING), timeout=120)
    elapsed = time.monotonic() - started
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    assert len(answer.submissions) == ROWS and not answer.rejections
    for number, submission in enumerate(answer.submissions):
        # Every earlier row matches, but the index keeps the most recent rows of one requester only.
        matched = min(number, POLICY.max_cases_per_requester)
        assert len(submission.repeats) == min(matched, POLICY.max_links_per_case), number
        assert submission.repeats_omitted == matched - len(submission.repeats), number
        assert all(link.case_id == submission.case_id for link in submission.repeats)
    assert answer.ByteSize() < 4 * 1024 * 1024
    # Before the bounds: millions of links, 3 GB and ~100 s, then UNKNOWN. Generous for a loaded 2-core machine.
    assert elapsed < 90, f"{ROWS} rows took {elapsed:.1f} s"
    assert grown_mib < 600, f"the process grew by {grown_mib:.0f} MiB"
    print(f"{ROWS} near-identical rows: {elapsed:.1f} s, max RSS grew {grown_mib:.0f} MiB")

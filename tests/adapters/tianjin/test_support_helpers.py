"""The Tianjin test helpers themselves: canonical comparison is neither too loose nor too strict."""

from jjj.case.v1 import case_pb2
from tests.adapters.tianjin.support import canonical_document, same_case



def test_canonical_ignores_layout_and_sibling_order_but_not_data():
    ns = 'xmlns="urn:tj12345:workorder:2"'
    a = f'<WorkOrder {ns} version="2.1" type="HOTLINE">\n  <A>1</A>\n  <B x="1" y="2"/>\n</WorkOrder>'
    b = f'<WorkOrder {ns} type="HOTLINE" version="2.1"><B y="2" x="1"/><A>1</A></WorkOrder>'
    c = f'<WorkOrder {ns} type="HOTLINE" version="2.1"><B y="2" x="1"/><A>1 </A></WorkOrder>'
    assert canonical_document(a.encode()) == canonical_document(b.encode())
    assert canonical_document(a.encode()) != canonical_document(c.encode())


def test_same_case_tolerates_only_tiny_point_differences():
    a = case_pb2.Case(case_id="x", location=case_pb2.Location(point=case_pb2.Point(latitude=39.1, longitude=117.2)))
    b = case_pb2.Case()
    b.CopyFrom(a)
    b.location.point.latitude += 1e-9
    b.provenance.adapter_version = "other"
    assert same_case(a, b)
    b.location.point.latitude += 1e-5
    assert not same_case(a, b)
    b.CopyFrom(a)
    b.title = "changed"
    assert not same_case(a, b)

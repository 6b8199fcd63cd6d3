"""The bench's work orders come from distinct citizens: repeat matching is not what the load measures."""

from __future__ import annotations

from benchmarks.load import WorkOrders
from kernel.normalize.resident_id import normalize_id_number


def test_every_order_has_a_citizen_of_its_own_with_a_valid_id_number():
    orders = WorkOrders(7).take(25_000)
    numbers = [order["sqr"]["zjhm"] for _, order in orders]
    assert len(set(numbers)) == len(numbers) == 25_000  # they repeated every 1,000 orders
    assert len({order_id for order_id, _ in orders}) == 25_000
    assert all(normalize_id_number(number).checksum_ok for number in numbers[::97])
    assert {number[6:10] for number in numbers} == {"1950"}  # 25 birthdays, all in January 1950

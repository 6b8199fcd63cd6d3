"""kernel.bus.bundles: what a bundled message carries, how its parts settle it, its message id."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kernel.bus import bundles


class RecordedMessage:
    """What a bundle's parts do to their bus message (the real one is nats-py's Msg)."""

    def __init__(self, data: bytes, headers: dict[str, str] | None) -> None:
        self.data, self.headers, self.subject = data, headers, "jjj.receipt.bj.he"
        self.settled: list[tuple[str, float | None]] = []

    async def ack(self) -> None:
        self.settled.append(("ack", None))

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append(("nak", delay))


def bundled(envelopes: list[bytes]) -> RecordedMessage:  # on a receipt subject, where bundles travel
    return RecordedMessage(bundles.pack(envelopes), {bundles.BUNDLE_HEADER: str(len(envelopes))})


@given(st.lists(st.binary(max_size=64), min_size=1, max_size=20))
def test_a_bundle_carries_its_envelopes_exactly_and_in_order(envelopes):
    message = bundled(envelopes)
    assert bundles.envelopes_of(message) == envelopes


@given(st.binary(max_size=64))
def test_a_message_without_the_header_is_one_envelope_whatever_its_bytes(data):
    assert bundles.envelopes_of(RecordedMessage(data, None)) == [data]
    assert bundles.envelopes_of(RecordedMessage(data, {"Content-Type": "x"})) == [data]


def test_a_bundle_that_cannot_be_read_is_taken_as_one_envelope_of_its_bytes():
    # Refused downstream as malformed, never dropped silently.
    assert bundles.envelopes_of(RecordedMessage(b"\xff\xff\xff", {bundles.BUNDLE_HEADER: "2"})) == [b"\xff\xff\xff"]
    assert bundles.envelopes_of(RecordedMessage(b"", {bundles.BUNDLE_HEADER: "0"})) == [b""]


@pytest.mark.parametrize("subject", ["jjj.referral.he.bj", "jjj.status.bj.he", "jjj.share.tj.bj", "jjj.dead.bj.he"])
def test_a_bundle_anywhere_but_the_receipt_subjects_is_one_message_refused_whole(subject):
    message = bundled([b"1", b"2"])
    message.subject = subject
    assert bundles.envelopes_of(message) == [message.data]
    assert bundles.parts_of(message) == [message]


def test_the_message_id_is_the_same_for_the_same_envelopes_and_differs_otherwise():
    assert bundles.bundle_msg_id(["a", "b"]) == bundles.bundle_msg_id(["a", "b"])
    assert bundles.bundle_msg_id(["a", "b"]) != bundles.bundle_msg_id(["b", "a"])
    assert bundles.bundle_msg_id(["a", "b"]) != bundles.bundle_msg_id(["a\nb"])
    assert bundles.bundle_msg_id(["a"]).startswith("bundle/")


async def test_the_message_is_acknowledged_once_when_every_part_was_and_not_before():
    message = bundled([b"1", b"2", b"3"])
    parts = bundles.parts_of(message)
    assert [(p.data, bundles.part_index(p), p.subject) for p in parts] == [
        (b"1", 0, message.subject), (b"2", 1, message.subject), (b"3", 2, message.subject)]
    await parts[2].ack()
    await parts[0].ack()
    assert message.settled == []
    await parts[1].ack()
    assert message.settled == [("ack", None)]


async def test_one_part_put_back_puts_the_message_back_once_all_are_taken_with_the_longest_delay():
    message = bundled([b"1", b"2", b"3"])
    first, second, third = bundles.parts_of(message)
    await first.nak(delay=0.5)
    await second.ack()
    assert message.settled == []
    await third.nak(delay=2.0)
    assert message.settled == [("nak", 2.0)]


async def test_a_part_never_settled_leaves_the_message_to_the_ack_wait():
    message = bundled([b"1", b"2"])
    first, _ = bundles.parts_of(message)
    await first.ack()
    assert message.settled == []


@pytest.mark.parametrize("headers", [None, {"Content-Type": "x"}])
async def test_a_message_of_one_envelope_is_its_own_part(headers):
    message = RecordedMessage(b"env", headers)
    (part,) = bundles.parts_of(message)
    assert part is message and bundles.part_index(part) == 0

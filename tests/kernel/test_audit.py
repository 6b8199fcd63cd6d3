"""The audit chain: any single changed, removed or moved record, a rewrite under an anchor,
or a cut after one is found and named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kernel.audit import FIELDS, GENESIS, AuditEntry, Finding, Verified, anchor, extend, record_hash, row_of, verify
from kernel.security.keys import KeyEntry, KeyRegistry
from kernel.security.signing import Signer

FEDERATION = Signer.generate("federation")
BEIJING = Signer.generate("beijing")
KEYS = KeyRegistry((KeyEntry.for_signer(FEDERATION, datetime(2026, 1, 1, tzinfo=UTC)),
                    KeyEntry.for_signer(BEIJING, datetime(2026, 1, 1, tzinfo=UTC))))
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TEXT_FIELDS = ("at", "kind", "envelope_id", "case_id", "sender", "destination", "status", "step", "digest", "key_id",
               "prev_hash", "hash")

entries = st.builds(
    AuditEntry,
    at=st.integers(0, 10**6).map(lambda s: (T0 + timedelta(seconds=s)).isoformat()),
    kind=st.sampled_from(["referral", "status", "share", "receipt", "dead_letter"]),
    envelope_id=st.text(min_size=1, max_size=20),
    case_id=st.sampled_from(["", "jjj:BJ:1", "jjj:HE:二"]),
    sender=st.sampled_from(["beijing", "tianjin", "hebei", "federation"]),
    destination=st.sampled_from(["beijing", "tianjin", "hebei"]),
    status=st.sampled_from(["verified", "refused:DEAD_LETTER_REASON_BAD_SIGNATURE", "dead:DEAD_LETTER_REASON_NOT_ALLOWED"]),
    step=st.sampled_from(["", "STATUS_REFERRED", "STATUS_CLOSED"]),
    digest=st.binary(min_size=32, max_size=32).map(bytes.hex),
    key_id=st.binary(min_size=16, max_size=16).map(bytes.hex),
)
chains = st.lists(entries, min_size=2, max_size=25).map(lambda items: extend(None, items))


def finding(outcome) -> Finding:
    assert isinstance(outcome, Finding), outcome
    return outcome


def moved(records, i: int, j: int):
    """Rows i and j (0-based) exchange their contents; each row keeps its sequence (its place)."""
    swapped = list(records)
    swapped[i] = dataclasses.replace(records[j], seq=records[i].seq)
    swapped[j] = dataclasses.replace(records[i], seq=records[j].seq)
    return swapped


@given(chains)
def test_a_stored_row_is_the_record_in_field_order(records):
    for record in records:
        assert row_of(record) == dataclasses.astuple(record) == tuple(getattr(record, name) for name in FIELDS)


@given(chains)
def test_an_untouched_chain_verifies_with_its_head(records):
    outcome = verify(records)
    assert outcome == Verified(len(records), records[-1].hash, 0)
    assert records[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(records, records[1:]))


@given(chains, st.data())
def test_any_changed_field_of_any_record_is_found_and_named(records, data):
    index = data.draw(st.integers(0, len(records) - 1))
    field = data.draw(st.sampled_from(TEXT_FIELDS))
    value = data.draw(st.text(max_size=20).filter(lambda v: v != getattr(records[index], field)))
    changed = list(records)
    changed[index] = dataclasses.replace(records[index], **{field: value})
    found = finding(verify(changed))
    assert (found.seq, found.problem) == (records[index].seq, "changed")


@given(chains, st.data())
def test_a_removed_record_is_found_and_named(records, data):
    index = data.draw(st.integers(0, len(records) - 2))  # the last one: see the anchor tests
    found = finding(verify(records[:index] + records[index + 1:]))
    assert (found.seq, found.problem) == (records[index].seq, "removed")


@given(chains, st.data())
def test_two_records_that_changed_places_are_found_and_named(records, data):
    i = data.draw(st.integers(0, len(records) - 2))
    j = data.draw(st.integers(i + 1, len(records) - 1))
    found = finding(verify(moved(records, i, j)))
    assert (found.seq, found.problem) == (records[i].seq, "reordered")
    assert f"record {records[j].seq}" in found.detail


@given(chains, st.data())
def test_rows_out_of_sequence_order_are_found(records, data):
    i = data.draw(st.integers(0, len(records) - 2))
    out_of_order = list(records)
    out_of_order[i], out_of_order[i + 1] = records[i + 1], records[i]
    found = finding(verify(out_of_order))
    assert (found.seq, found.problem) == (records[i].seq, "reordered")


@given(chains, st.data())
def test_a_cut_after_an_anchor_is_found_naming_the_first_missing_record(records, data):
    anchored = data.draw(st.integers(1, len(records)))
    signed = anchor(records[anchored - 1], FEDERATION, T0.isoformat())
    assert verify(records, [signed], KEYS) == Verified(len(records), records[-1].hash, anchored)
    kept = data.draw(st.integers(0, anchored - 1))
    found = finding(verify(records[:kept], [signed], KEYS))
    assert (found.seq, found.problem) == (kept + 1, "truncated")
    assert f"{kept + 1}..{anchored}" in found.detail


@given(chains, st.data())
def test_a_chain_rewritten_consistently_under_an_anchor_disagrees_with_it(records, data):
    index = data.draw(st.integers(0, len(records) - 1))
    signed = anchor(records[-1], FEDERATION, T0.isoformat())
    entries_again = [AuditEntry(**{k: v for k, v in dataclasses.asdict(r).items() if k not in ("seq", "prev_hash", "hash")})
                     for r in records]
    entries_again[index] = dataclasses.replace(entries_again[index], status="forged")
    rewritten = extend(records[index - 1] if index else None, entries_again[index:])
    forged = records[:index] + rewritten
    assert isinstance(verify(forged), Verified)  # the chain alone cannot tell
    found = finding(verify(forged, [signed], KEYS))
    assert (found.seq, found.problem) == (records[-1].seq, "rewritten")


def test_an_anchor_not_signed_by_the_federation_key_is_refused():
    records = extend(None, [AuditEntry(T0.isoformat(), "referral", "e", "", "beijing", "hebei", "verified", "", "d", "k")])
    forged = anchor(records[0], BEIJING, T0.isoformat())
    assert finding(verify(records, [forged], KEYS)).problem == "forged_anchor"
    tampered = dataclasses.replace(anchor(records[0], FEDERATION, T0.isoformat()), seq=5)
    assert finding(verify(records, [tampered], KEYS)).problem == "forged_anchor"


def test_the_hash_covers_the_position():
    (record,) = extend(None, [AuditEntry(T0.isoformat(), "status", "e", "c", "hebei", "beijing", "verified", "", "d", "k")])
    assert record_hash(record) == record.hash != record_hash(record, seq=2)

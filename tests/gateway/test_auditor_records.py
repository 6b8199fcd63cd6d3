"""An audited message is verified and parsed once: its audit entry and its exchange record come from the
same envelope, and say what the record of its bytes alone would say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.audit import auditor as auditor_module, exchanges
from gateway.audit.auditor import _Taken, recorded_of
from kernel.bus import subjects
from kernel.security import envelopes as security_envelopes
from kernel.security.envelopes import VerificationCache
from kernel.security.keys import KeyEntry, KeyRegistry
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def referral_taken(signer: Signer | None, seq: int) -> _Taken:
    envelope = envelope_pb2.Envelope(envelope_id="jjj:BJ:1/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     sender=case_pb2.JURISDICTION_BEIJING, destination=case_pb2.JURISDICTION_HEBEI)
    envelope.referral.case.case_id = "jjj:BJ:1"
    envelope.sent_at.FromDatetime(AT)
    data = security_envelopes.sign(envelope, signer, now=AT) if signer else envelope.SerializeToString()
    return _Taken("JJJ_REFERRALS", seq, "jjj.referral.he.bj", data, AT)


def test_the_entry_and_the_exchange_record_come_from_one_verification_and_one_parse(monkeypatch):
    signer = Signer.generate("beijing")
    verifier = VerificationCache(KeyRegistry((KeyEntry.for_signer(signer, AT - timedelta(days=1)),)))
    parses = []
    real_parse = security_envelopes.parse

    def counted(data):
        parses.append(len(data))
        return real_parse(data)
    for module in (security_envelopes, auditor_module, exchanges):
        monkeypatch.setattr(module, "parse", counted)
    for taken, status, parsed in ((referral_taken(signer, 7), "verified", 1), (referral_taken(None, 8), "refused:", 2)):
        parses.clear()
        entry, observation = recorded_of(taken, verifier)
        assert entry.status.startswith(status)
        # The verification's parse (and a refused message's own, for its entry); the exchange record parses nothing.
        assert len(parses) == parsed, parses
        assert observation == exchanges.observation_of(taken.stream, taken.seq, taken.data, taken.at,
                                                       verified=entry.status == "verified")
        assert (entry.envelope_id, entry.case_id, entry.kind) == ("jjj:BJ:1/referral/1", "jjj:BJ:1", "referral")
        assert observation.size_bytes == len(taken.data) and observation.published_at == AT.isoformat()


def test_a_dead_letter_has_an_entry_and_no_exchange_record():
    letter = envelope_pb2.DeadLetter(envelope_id="jjj:BJ:1/referral/1", receiver=case_pb2.JURISDICTION_HEBEI,
                                     reason=envelope_pb2.DEAD_LETTER_REASON_UNKNOWN_CASE)
    taken = _Taken(subjects.DEAD_LETTER_STREAM, 3, "jjj.dead.he.bj", letter.SerializeToString(), AT)
    entry, observation = recorded_of(taken, VerificationCache(KeyRegistry(())))
    assert entry.kind == "dead_letter" and observation is None

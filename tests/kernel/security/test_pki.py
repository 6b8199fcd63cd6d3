"""The development PKI: who gets a certificate, what it says, where its key lives."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given, strategies as st

from kernel.security import pki


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> pki.PkiLayout:
    made, _ = pki.init_pki(tmp_path_factory.mktemp("pki"))
    return made


def test_every_principal_has_a_certificate_signed_by_the_ca(layout):
    ca = pki.load_certificate(layout.ca_cert)
    for principal in pki.principals():
        certificate = pki.load_certificate(layout.cert(principal.name))
        certificate.verify_directly_issued_by(ca)
        assert pki.common_name(certificate) == principal.name
        assert pki.subject_string(certificate) == f"CN={principal.name},OU={principal.kind},O=jjj-exchange"
        assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)


def test_servers_carry_loopback_names_and_clients_only_client_use(layout):
    adapter = pki.load_certificate(layout.cert(pki.adapter_principal("tianjin")))
    names = adapter.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)][:1] == ["127.0.0.1"]
    member = pki.load_certificate(layout.cert(pki.member_system_principal("tianjin")))
    usage = member.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):
        member.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_keys_are_readable_by_their_owner_only(layout):
    assert stat.S_IMODE(layout.root.stat().st_mode) == 0o700
    for path in [layout.ca_key, *(layout.key(p.name) for p in pki.principals())]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_init_again_keeps_what_exists_and_fills_gaps(layout):
    ca_before = layout.ca_cert.read_bytes()
    layout.cert(pki.GATEWAY).unlink()
    _, made = pki.init_pki(layout.root)
    assert made == [pki.GATEWAY] and layout.ca_cert.read_bytes() == ca_before
    pki.load_certificate(layout.cert(pki.GATEWAY)).verify_directly_issued_by(pki.load_certificate(layout.ca_cert))


def test_validity_bounds_can_be_given(layout):
    now = datetime.now(UTC)
    issued = pki.issue(pki.load_ca(layout), pki.Principal("old", "member-system"),
                       not_before=now - timedelta(days=10), not_after=now - timedelta(days=1))
    assert issued.certificate.not_valid_after_utc < now


@given(st.binary(min_size=32, max_size=32), st.booleans(), st.booleans())
def test_fingerprints_are_read_as_openssl_prints_them_or_plain(raw, upper, colons):
    text = raw.hex().upper() if upper else raw.hex()
    if colons:
        text = ":".join(text[i:i + 2] for i in range(0, len(text), 2))
    assert pki.normalise_fingerprint(f"sha256 Fingerprint={text}") == raw.hex()


@pytest.mark.parametrize("text", ["", "abc", "zz" * 32, "ab" * 31])
def test_what_is_no_fingerprint_is_refused(text):
    with pytest.raises(ValueError):
        pki.normalise_fingerprint(text)

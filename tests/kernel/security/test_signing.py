"""Ed25519 signing of bytes and key ids; the key registry's validity and rotation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.security.keys import (KeyEntry, KeyFileError, KeyRegistry, RegistryFile, init_keys, load_signer, owners,
                                  private_key_path, registry_path, rotate_key)
from kernel.security.signing import Signer, key_id, public_key_from_text, public_key_to_text, verify
from tests.kernel.security.support import SIGNERS, T0

BEIJING, HEBEI = SIGNERS["beijing"], SIGNERS["hebei"]


@given(st.binary(max_size=512))
def test_a_signature_verifies_with_the_signers_key_only(data):
    signature = BEIJING.sign(data)
    assert verify(BEIJING.public_key, signature, data)
    assert not verify(HEBEI.public_key, signature, data)


@given(st.binary(min_size=1, max_size=256), st.data())
def test_any_changed_byte_breaks_the_signature(data, draw):
    signature = BEIJING.sign(data)
    index = draw.draw(st.integers(0, len(data) - 1))
    flip = draw.draw(st.integers(1, 255))
    changed = data[:index] + bytes([data[index] ^ flip]) + data[index + 1:]
    assert not verify(BEIJING.public_key, signature, changed)


@given(st.binary(max_size=4096))
def test_libsodium_signs_and_verifies_exactly_as_openssl_does(data):
    # Ed25519 is deterministic: the signature libsodium makes is the one OpenSSL makes, and each verifies the other's.
    signature = BEIJING.sign(data)
    assert signature == BEIJING.private_key.sign(data)
    BEIJING.public_key.verify(signature, data)  # raises if OpenSSL disagrees
    assert verify(BEIJING.public_key, BEIJING.private_key.sign(data), data)


@given(st.binary(max_size=128), st.binary(max_size=80))
def test_a_signature_of_the_wrong_length_or_garbage_is_refused_not_an_error(data, garbage):
    assert not verify(BEIJING.public_key, garbage, data)
    assert not verify(BEIJING.public_key, BEIJING.sign(data)[:-1], data)
    assert not verify(BEIJING.public_key, BEIJING.sign(data) + b"\0", data)


def test_the_key_id_is_the_fingerprint_of_the_public_key_and_survives_text_and_pem():
    assert BEIJING.key_id == key_id(BEIJING.public_key) != HEBEI.key_id
    assert len(BEIJING.key_id) == 32
    assert key_id(public_key_from_text(public_key_to_text(BEIJING.public_key))) == BEIJING.key_id
    assert Signer.from_pem("beijing", BEIJING.to_pem()).key_id == BEIJING.key_id


def test_a_registry_entry_whose_id_is_not_its_keys_fingerprint_is_refused():
    entry = KeyEntry.for_signer(BEIJING, T0).to_json()
    entry["key_id"] = HEBEI.key_id
    with pytest.raises(ValueError, match="fingerprint"):
        KeyRegistry.from_json(json.dumps({"keys": [entry]}))


def test_rotation_keeps_the_old_key_valid_for_the_overlap_only():
    registry = KeyRegistry((KeyEntry.for_signer(BEIJING, T0 - timedelta(days=30)), KeyEntry.for_signer(HEBEI, T0)))
    new = Signer.generate("beijing")
    rotated = registry.rotated(new, now=T0, overlap=timedelta(hours=2))
    old_entry, new_entry = rotated.get(BEIJING.key_id), rotated.get(new.key_id)
    assert old_entry.valid_at(T0 + timedelta(hours=1)) and new_entry.valid_at(T0 + timedelta(hours=1))
    assert not old_entry.valid_at(T0 + timedelta(hours=2)) and new_entry.valid_at(T0 + timedelta(days=400))
    assert not new_entry.valid_at(T0 - timedelta(seconds=1))
    assert rotated.get(HEBEI.key_id).valid_until is None  # another owner's key is untouched
    assert KeyRegistry.from_json(rotated.to_json()).get(BEIJING.key_id).valid_until == T0 + timedelta(hours=2)


def test_init_creates_one_key_per_owner_once_and_rotate_replaces_the_private_key(tmp_path):
    assert init_keys(tmp_path, now=T0) == owners()
    assert init_keys(tmp_path, now=T0) == []
    registry = KeyRegistry.from_json(registry_path(tmp_path).read_text())
    assert sorted(e.owner for e in registry.entries) == sorted(owners())
    before = load_signer(private_key_path(tmp_path, "tianjin"), "tianjin")
    assert registry.get(before.key_id).owner == "tianjin"
    assert private_key_path(tmp_path, "tianjin").stat().st_mode & 0o077 == 0

    after = rotate_key(tmp_path, "tianjin", overlap=timedelta(hours=1), now=T0 + timedelta(days=1))
    assert load_signer(private_key_path(tmp_path, "tianjin"), "tianjin").key_id == after.key_id != before.key_id
    rotated = KeyRegistry.from_json(registry_path(tmp_path).read_text())
    assert rotated.get(before.key_id).valid_until == T0 + timedelta(days=1, hours=1)
    assert rotated.get(after.key_id).valid_from == T0 + timedelta(days=1)


def test_a_registry_file_rotated_by_another_process_is_read_again_for_an_unknown_key(tmp_path):
    init_keys(tmp_path, now=T0)
    watched = RegistryFile(registry_path(tmp_path), recheck_seconds=3600)
    new = rotate_key(tmp_path, "hebei", now=T0)
    assert watched.get(new.key_id) is not None and watched.get(new.key_id).owner == "hebei"


def test_missing_key_files_name_the_command_that_makes_them(tmp_path):
    with pytest.raises(KeyFileError, match="jjj keys init"):
        load_signer(private_key_path(tmp_path, "beijing"), "beijing")
    with pytest.raises(KeyFileError, match="jjj keys init"):
        RegistryFile(registry_path(tmp_path))

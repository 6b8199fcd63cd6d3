"""Ed25519 signing and verification of bytes, and key ids. Pure: no files, no clock.

A key id is the fingerprint of the raw 32-byte public key (the first 16 bytes of its
SHA-256, as hex), so a registry entry, a signature and a private key file name the
same key without trusting each other's labels.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_RAW = dict(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(**_RAW)


def key_id(public_key: Ed25519PublicKey | bytes) -> str:
    raw = public_key if isinstance(public_key, bytes) else public_bytes(public_key)
    return hashlib.sha256(raw).digest()[:16].hex()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from its base64 raw form (as the key registry stores it)."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def public_key_to_text(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_bytes(public_key)).decode("ascii")


@dataclass(frozen=True)
class Signer:
    """One process's private key, named by the owner it signs for."""

    owner: str
    private_key: Ed25519PrivateKey

    @functools.cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @functools.cached_property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def generate(cls, owner: str) -> "Signer":
        return cls(owner, Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, owner: str, pem: bytes) -> "Signer":
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError(f"the signing key of {owner} is not an Ed25519 key")
        return cls(owner, private_key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )


def verify(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True

"""Security: the PKI, TLS contexts, certificate expiry, the member-system registry; Ed25519 signatures of bus messages and the key registry."""

"""Signatures of bus messages: Ed25519 keys, the federation's key registry, envelope checks."""

"""Jurisdiction adapters: native format <-> common model, and the gRPC service over them."""

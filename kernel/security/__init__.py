"""Transport security: the federation's PKI, TLS contexts, certificate expiry, the member-system registry."""

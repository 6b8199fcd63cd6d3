"""The test harness of member systems: clients of a running federation (`jjj up`), its state file, a pytest plugin.

Imports only `kernel` and the generated `jjj` code, never the adapters, the gateway or the
CLI: it is what a member system's engineers and tests see of the federation from outside.
"""

"""The gateway's pure domain layer: lifecycle, calendar and deadlines, privacy, repeats.

Synchronous, no I/O beyond reading the policy data in schemas/ once; every rule
that an operator may want to change lives there, not here.
"""

"""Simulated member systems (jjj sim): seeded cases, a behaviour policy, the loop that plays them, the ledger."""

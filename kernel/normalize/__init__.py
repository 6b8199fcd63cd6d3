"""Normalisation shared by every codec: text, times, ids, phones, places, categories.

Each module is small and pure; import the module you need, e.g.
`from kernel.normalize.phone import normalize_phone`.
"""

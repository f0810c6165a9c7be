"""Idempotency-Key on POST and PATCH: a repeat gets the first answer, and its change happens once (docs/api.md)."""

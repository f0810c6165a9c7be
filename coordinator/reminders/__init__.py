"""Reminders and escalation of dispatches that wait too long (never an automatic answer)."""

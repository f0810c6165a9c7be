"""Drills: scripted exercises in training mode, with an after-action report (issue 7)."""

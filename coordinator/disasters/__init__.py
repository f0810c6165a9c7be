"""Disasters: declaration, affected area, acting roles, cross-block support, closing, timeline."""

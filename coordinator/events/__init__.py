"""The append-only event log: audit trail, timeline and source of realtime."""

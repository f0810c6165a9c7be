"""Imports every command module so that each registers itself on the Typer app."""

from coordinator.cli import bulletin, db, demo, drill, notify, ops, plan, reference, serve, users, watch  # noqa: F401

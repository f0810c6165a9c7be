"""Imports every command module so that each registers itself on the Typer app."""

from coordinator.cli import db, reference, serve, users  # noqa: F401

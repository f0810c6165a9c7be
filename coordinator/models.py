"""Imports every table module so that SQLModel.metadata is complete (for Alembic and for tests)."""

from __future__ import annotations

import importlib

from sqlmodel import SQLModel

import coordinator.associations.models
import coordinator.auth.models
import coordinator.events.models  # noqa: F401

# Table modules of the domains. A module that is not written yet is skipped; nothing else is swallowed.
DOMAIN_MODELS = (
    "coordinator.disasters.models",
    "coordinator.needs.models",
    "coordinator.offers.models",
    "coordinator.dispatches.models",
)


def _import_domain_models() -> None:
    for name in DOMAIN_MODELS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is None or not (name == error.name or name.startswith(error.name + ".")):
                raise


_import_domain_models()

metadata = SQLModel.metadata

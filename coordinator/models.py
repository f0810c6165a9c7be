"""Imports every table module so that SQLModel.metadata is complete (for Alembic and for tests)."""

from __future__ import annotations

from sqlmodel import SQLModel

import coordinator.associations.models
import coordinator.auth.models
import coordinator.bulletins.models
import coordinator.contacts.models
import coordinator.disasters.models
import coordinator.dispatches.models
import coordinator.events.models
import coordinator.idempotency.models
import coordinator.matching.models
import coordinator.needs.models
import coordinator.notifications.models
import coordinator.offers.models
import coordinator.reminders.models
import coordinator.sitreps.models  # noqa: F401

metadata = SQLModel.metadata

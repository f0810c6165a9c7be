"""The dispatch table.

Generated with Alembic autogenerate against 0002_domains, then reviewed: plain SQLAlchemy types
(as in 0001 and 0002), timezone-aware timestamps, composite indexes for the capacity and list queries.

Revision ID: 0003_dispatches
Revises: 0002_domains
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_dispatches"
down_revision: str | None = "0002_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the dispatch table and its indexes."""
    op.create_table(
        "dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("expected_cost_yen", sa.Integer(), nullable=True),
        sa.Column("cost_policy", sa.String(64), nullable=True),
        sa.Column("decline_reason", sa.String(1000), nullable=True),
        sa.Column("cancel_reason", sa.String(1000), nullable=True),
        sa.Column("notes", sa.String(2000), nullable=True),
        sa.Column("proposed_at", _TIME, nullable=False),
        sa.Column("approved_at", _TIME, nullable=True),
        sa.Column("requested_at", _TIME, nullable=True),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("en_route_at", _TIME, nullable=True),
        sa.Column("on_site_at", _TIME, nullable=True),
        sa.Column("completed_at", _TIME, nullable=True),
        sa.Column("cancelled_at", _TIME, nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("overdue_since", _TIME, nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["disaster_id"], ["disaster.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["association.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["association.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispatch_disaster_id", "dispatch", ["disaster_id"])
    op.create_index("ix_dispatch_need_id", "dispatch", ["need_id"])
    op.create_index("ix_dispatch_requester_id", "dispatch", ["requester_id"])
    op.create_index("ix_dispatch_supplier_id", "dispatch", ["supplier_id"])
    op.create_index("ix_dispatch_disaster_state", "dispatch", ["disaster_id", "state"])
    op.create_index("ix_dispatch_disaster_supplier_state", "dispatch", ["disaster_id", "supplier_id", "state"])


def downgrade() -> None:
    """Drop the dispatch table (its indexes go with it)."""
    op.drop_table("dispatch")

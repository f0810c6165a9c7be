"""Releases of declined (need, supporter) pairs: who put a pair back into plans, in which capacity, why.

Revision ID: 0009_declined_pairs
Revises: 0008_sitreps
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_declined_pairs"
down_revision: str | None = "0008_sitreps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create declined_pair_release."""
    op.create_table(
        "declined_pair_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("capacity", sa.String(24), nullable=False),
        sa.Column("released_by_user_id", sa.Integer(), nullable=True),
        sa.Column("released_by_association_id", sa.String(64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["disaster_id"], ["disaster.id"]),
        sa.ForeignKeyConstraint(["dispatch_id"], ["dispatch.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dispatch_id"),
    )
    op.create_index("ix_declined_pair_release_disaster_id", "declined_pair_release", ["disaster_id"])


def downgrade() -> None:
    """Drop declined_pair_release."""
    op.drop_index("ix_declined_pair_release_disaster_id", table_name="declined_pair_release")
    op.drop_table("declined_pair_release")

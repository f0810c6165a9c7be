"""Domain tables: disaster, need, need_revision, offer, standing_capacity.

Generated with Alembic autogenerate against 0001_platform, then reviewed: plain SQLAlchemy types
(as in 0001), the dispatch table left to its own revision.

Revision ID: 0002_domains
Revises: 0001_platform
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_domains"
down_revision: str | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the disaster, need, need_revision, offer and standing_capacity tables."""
    op.create_table(
        "disaster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("area_input", sa.JSON(), nullable=False),
        sa.Column("area", sa.JSON(), nullable=False),
        sa.Column("affected_associations", sa.JSON(), nullable=False),
        sa.Column("affected_prefectures", sa.JSON(), nullable=False),
        sa.Column("acting_roles", sa.JSON(), nullable=False),
        sa.Column("cross_block_open", sa.Boolean(), nullable=False),
        sa.Column("cross_block_opened_at", _TIME, nullable=True),
        sa.Column("cross_block_opened_by", sa.Integer(), nullable=True),
        sa.Column("declared_by", sa.Integer(), nullable=True),
        sa.Column("declared_by_association_id", sa.String(64), nullable=True),
        sa.Column("declared_at", _TIME, nullable=False),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disaster_mode", "disaster", ["mode"])
    op.create_index("ix_disaster_status", "disaster", ["status"])

    op.create_table(
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(5), nullable=True),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_association_id", sa.String(64), nullable=True),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["disaster_id"], ["disaster.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["association.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_need_disaster_id", "need", ["disaster_id"])
    op.create_index("ix_need_mode", "need", ["mode"])
    op.create_index("ix_need_requester_id", "need", ["requester_id"])
    op.create_index("ix_need_status", "need", ["status"])

    op.create_table(
        "need_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_association_id", sa.String(64), nullable=True),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("need_id", "version", name="uq_need_revision_version"),
    )
    op.create_index("ix_need_revision_need_id", "need_revision", ["need_id"])

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("association_id", sa.String(64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_until", sa.Date(), nullable=False),
        sa.Column("notes", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"]),
        sa.ForeignKeyConstraint(["disaster_id"], ["disaster.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_offer_association_id", "offer", ["association_id"])
    op.create_index("ix_offer_disaster_id", "offer", ["disaster_id"])
    op.create_index("ix_offer_mode", "offer", ["mode"])
    op.create_index("ix_offer_status", "offer", ["status"])

    op.create_table(
        "standing_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(2000), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_standing_capacity_association_id", "standing_capacity", ["association_id"])


def downgrade() -> None:
    """Drop the domain tables, dependents first."""
    for table in ("standing_capacity", "offer", "need_revision", "need", "disaster"):
        op.drop_table(table)

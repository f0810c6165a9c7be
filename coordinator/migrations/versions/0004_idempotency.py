"""The idempotency_key table (Idempotency-Key on POST and PATCH, docs/api.md).

Revision ID: 0004_idempotency
Revises: 0003_dispatches
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_idempotency"
down_revision: str | None = "0003_dispatches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create idempotency_key with its (user, key) uniqueness and the age index used for pruning."""
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("entity", sa.String(32), nullable=True),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("disaster_id", sa.Integer(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_type", sa.String(100), nullable=True),
        sa.Column("response_location", sa.String(500), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("completed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
    )
    op.create_index("ix_idempotency_created_at", "idempotency_key", ["created_at"])
    op.create_index("ix_idempotency_key_disaster_id", "idempotency_key", ["disaster_id"])


def downgrade() -> None:
    """Drop idempotency_key."""
    op.drop_index("ix_idempotency_key_disaster_id", table_name="idempotency_key")
    op.drop_index("ix_idempotency_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")

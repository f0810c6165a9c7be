"""JMA bulletins and the declarations they propose.

Revision ID: 0005_bulletins
Revises: 0004_idempotency
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_bulletins"
down_revision: str | None = "0004_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the bulletin and proposal tables."""
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("received_by_user_id", sa.Integer(), nullable=True),
        sa.Column("type_code", sa.String(8), nullable=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("info_type", sa.String(8), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("report_datetime", _TIME, nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("reason_en", sa.String(1000), nullable=False),
        sa.Column("reason_ja", sa.String(1000), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", "mode", name="uq_bulletin_sha256_mode"),
    )
    op.create_index("ix_bulletin_event", "bulletin", ["event_id", "mode"])
    op.create_index("ix_bulletin_proposal_id", "bulletin", ["proposal_id"])
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("event_key", sa.String(96), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("target_disaster_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("area_input", sa.JSON(), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_count", sa.Integer(), nullable=False),
        sa.Column("report_datetime", _TIME, nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("dismiss_reason", sa.String(1000), nullable=True),
        sa.Column("withdraw_reason_en", sa.String(1000), nullable=True),
        sa.Column("withdraw_reason_ja", sa.String(1000), nullable=True),
        sa.Column("disaster_id", sa.Integer(), nullable=True),
        sa.Column("jma_cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proposal_key", "proposal", ["event_key", "mode"])
    op.create_index("ix_proposal_status", "proposal", ["status", "mode"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_index("ix_proposal_status", table_name="proposal")
    op.drop_index("ix_proposal_key", table_name="proposal")
    op.drop_table("proposal")
    op.drop_index("ix_bulletin_proposal_id", table_name="bulletin")
    op.drop_index("ix_bulletin_event", table_name="bulletin")
    op.drop_table("bulletin")

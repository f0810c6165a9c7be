"""Situation reports: numbered reports per disaster with the secretariat's summary, every version kept
(issue 14 item 7).

Revision ID: 0008_sitreps
Revises: 0007_bulletin_drills
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_sitreps"
down_revision: str | None = "0007_bulletin_drills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create situation_report and situation_report_revision."""
    op.create_table(
        "situation_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), sa.ForeignKey("disaster.id"), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.String(64), nullable=False),
        sa.Column("issuer_name_ja", sa.String(200), nullable=False),
        sa.Column("issuer_name_en", sa.String(200), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("disaster_id", "number", name="uq_situation_report_number"),
    )
    op.create_index("ix_situation_report_disaster_id", "situation_report", ["disaster_id"])
    op.create_table(
        "situation_report_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("situation_report.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_situation_report_revision_report_id", "situation_report_revision", ["report_id"])


def downgrade() -> None:
    """Drop the situation report tables."""
    op.drop_index("ix_situation_report_revision_report_id", table_name="situation_report_revision")
    op.drop_table("situation_report_revision")
    op.drop_index("ix_situation_report_disaster_id", table_name="situation_report")
    op.drop_table("situation_report")

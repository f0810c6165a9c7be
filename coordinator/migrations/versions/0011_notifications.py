"""Notifications: the outbox and its attempts, in-app notifications, contacts, preferences, reminder stages;
an optional e-mail address on users.

Revision ID: 0011_notifications
Revises: 0010_authority
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_notifications"
down_revision: str | None = "0010_authority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the notification tables and add app_user.email."""
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "notification_outbox",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("event_seq", _BIGINT, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(8), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("association_id", sa.String(64), nullable=True),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.UniqueConstraint("key", name="uq_notification_outbox_key"),
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_notification_outbox_event_seq", "notification_outbox", ["event_seq"])
    op.create_index("ix_notification_outbox_disaster_id", "notification_outbox", ["disaster_id"])
    op.create_index("ix_notification_outbox_user_id", "notification_outbox", ["user_id"])
    op.create_index("ix_notification_outbox_contact_id", "notification_outbox", ["address_id"])
    op.create_table(
        "notification_attempt",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", _BIGINT, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("milliseconds", sa.Integer(), nullable=False),
    )
    op.create_index("ix_notification_attempt_outbox_id", "notification_attempt", ["outbox_id"])
    op.create_table(
        "notification",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("event_seq", _BIGINT, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(8), nullable=True),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("essential", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("read_at", _TIME, nullable=True),
        sa.UniqueConstraint("user_id", "event_seq", name="uq_notification_user_event"),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])
    op.create_index("ix_notification_disaster_id", "notification", ["disaster_id"])
    op.create_table(
        "notification_address",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("association_id", sa.String(64), sa.ForeignKey("association.id"), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("secret_nonce", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_notification_address_association_id", "notification_address", ["association_id"])
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("user_id", "topic", name="uq_notification_preference_user_topic"),
    )
    op.create_index("ix_notification_preference_user_id", "notification_preference", ["user_id"])
    op.create_table(
        "reminder_stage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.String(16), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("to", sa.String(32), nullable=False),
        sa.Column("association_id", sa.String(64), nullable=True),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.UniqueConstraint("dispatch_id", "waiting", "stage", name="uq_reminder_stage"),
    )
    op.create_index("ix_reminder_stage_dispatch_id", "reminder_stage", ["dispatch_id"])
    op.create_index("ix_reminder_stage_disaster_id", "reminder_stage", ["disaster_id"])


def downgrade() -> None:
    """Drop the notification tables and app_user.email."""
    for table in ("reminder_stage", "notification_preference", "notification_address", "notification",
                  "notification_attempt", "notification_outbox"):
        op.drop_table(table)
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")

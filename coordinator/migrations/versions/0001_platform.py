"""Platform tables: event log, associations, users, API tokens, web sessions, sign-in attempts.

Revision ID: 0001_platform
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_platform"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain SQLAlchemy types, so this file never changes meaning when SQLModel's own type classes do.
# Times are stored with a zone (timestamptz on PostgreSQL), as SQLModel's UTCDateTime expects.
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the platform tables."""
    op.create_table(
        "event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("disaster_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(8), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_association_id", sa.String(64), nullable=True),
        sa.Column("associations", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        # AUTOINCREMENT on SQLite: a deleted newest seq is never handed out again, so a client resuming
        # with `since` cannot miss events that reuse its numbers (docs/realtime.md). No effect elsewhere.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_disaster_id", "event", ["disaster_id"])
    op.create_index("ix_event_disaster_seq", "event", ["disaster_id", "seq"])

    op.create_table(
        "association",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name_ja", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("prefecture_code", sa.String(2), nullable=False),
        sa.Column("block", sa.String(32), nullable=True),
        sa.Column("municipality_code", sa.String(5), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_association_prefecture_code", "association", ["prefecture_code"])
    op.create_index("ix_association_block", "association", ["block"])

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("association_id", sa.String(64), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_user_login", "app_user", ["login"], unique=True)
    op.create_index("ix_app_user_association_id", "app_user", ["association_id"])

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.Column("last_used_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_token_token_hash", "api_token", ["token_hash"], unique=True)
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])

    op.create_table(
        "login_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(254), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_login_ip_time", "login_attempt", ["login", "client_ip", "created_at"])


def downgrade() -> None:
    """Drop the platform tables."""
    for table in ("login_attempt", "login_session", "api_token", "app_user", "association", "event"):
        op.drop_table(table)

"""Authority: the capacity of each act, reopening, cost confirmation, offers on behalf, sessions, throttling.

- event.acted_as: the capacity an act was done in (secretariat, acting secretariat, coordinator of a
  block, staff, observer) and why the actor holds it (issue 12 items 1 and 14).
- disaster.reopened_at / reopened_by (issue 12 item 1).
- dispatch.cost_status / cost_confirmed_at / cost_confirmed_by: a cost out of proportion waits for the
  requester's confirmation before it binds them (issue 12 item 2).
- offer.recorded_by: who recorded an offer on an association's behalf (issue 12 item 13).
- login_session.client_ip / user_agent / last_seen_at: sessions listed for revocation (issue 12 item 4).
- login_attempt (client_ip, created_at) index: the per-address cap across logins (issue 12 item 5).

Revision ID: 0010_authority
Revises: 0009_declined_pairs
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_authority"
down_revision: str | None = "0009_declined_pairs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the columns and the index."""
    with op.batch_alter_table("event") as table:
        table.add_column(sa.Column("acted_as", sa.JSON(), nullable=True))
    with op.batch_alter_table("disaster") as table:
        table.add_column(sa.Column("reopened_at", _TIME, nullable=True))
        table.add_column(sa.Column("reopened_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("dispatch") as table:
        table.add_column(sa.Column("cost_status", sa.String(24), nullable=True))
        table.add_column(sa.Column("cost_confirmed_at", _TIME, nullable=True))
        table.add_column(sa.Column("cost_confirmed_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("offer") as table:
        table.add_column(sa.Column("recorded_by", sa.JSON(), nullable=True))
    with op.batch_alter_table("login_session") as table:
        table.add_column(sa.Column("client_ip", sa.String(64), nullable=True))
        table.add_column(sa.Column("user_agent", sa.String(200), nullable=True))
        table.add_column(sa.Column("last_seen_at", _TIME, nullable=True))
    op.create_index("ix_login_attempt_ip_time", "login_attempt", ["client_ip", "created_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_login_attempt_ip_time", table_name="login_attempt")
    with op.batch_alter_table("login_session") as table:
        table.drop_column("last_seen_at")
        table.drop_column("user_agent")
        table.drop_column("client_ip")
    with op.batch_alter_table("offer") as table:
        table.drop_column("recorded_by")
    with op.batch_alter_table("dispatch") as table:
        table.drop_column("cost_confirmed_by")
        table.drop_column("cost_confirmed_at")
        table.drop_column("cost_status")
    with op.batch_alter_table("disaster") as table:
        table.drop_column("reopened_by")
        table.drop_column("reopened_at")
    with op.batch_alter_table("event") as table:
        table.drop_column("acted_as")

"""Bulletins injected by a drill run belong to that drill: stored once per drill, purged with it.

Revision ID: 0007_bulletin_drills
Revises: 0006_contacts
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_bulletin_drills"
down_revision: str | None = "0006_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """bulletin.drill_id and a uniqueness per (hash, mode, drill); proposal.drill_id."""
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("drill_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scope", sa.String(24), nullable=False, server_default=""))
        batch.drop_constraint("uq_bulletin_sha256_mode", type_="unique")
        batch.create_unique_constraint("uq_bulletin_sha256_mode_scope", ["sha256", "mode", "scope"])
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("drill_id", sa.Integer(), nullable=True))
    op.create_index("ix_proposal_drill_id", "proposal", ["drill_id"])
    op.create_index("ix_bulletin_drill_id", "bulletin", ["drill_id"])


def downgrade() -> None:
    """Back to one bulletin per (hash, mode)."""
    op.drop_index("ix_bulletin_drill_id", table_name="bulletin")
    op.drop_index("ix_proposal_drill_id", table_name="proposal")
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("drill_id")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint("uq_bulletin_sha256_mode_scope", type_="unique")
        batch.create_unique_constraint("uq_bulletin_sha256_mode", ["sha256", "mode"])
        batch.drop_column("scope")
        batch.drop_column("drill_id")

"""Contacts (association_contact, need_site_contact, dispatch_person), offers against a need, and the
reasons given when a need is cancelled or an offer withdrawn (issue 15 items 2-4).

Revision ID: 0006_contacts
Revises: 0005_bulletins
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_contacts"
down_revision: str | None = "0005_bulletins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the contact tables and add the new columns of need and offer."""
    op.create_table(
        "association_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.String(64), sa.ForeignKey("association.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("association_id", "position", name="uq_association_contact_position"),
    )
    op.create_index("ix_association_contact_association_id", "association_contact", ["association_id"])
    op.create_table(
        "need_site_contact",
        sa.Column("need_id", sa.Integer(), sa.ForeignKey("need.id"), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("need_id"),
    )
    op.create_table(
        "dispatch_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), sa.ForeignKey("dispatch.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dispatch_id", "position", name="uq_dispatch_person_position"),
    )
    op.create_index("ix_dispatch_person_dispatch_id", "dispatch_person", ["dispatch_id"])
    with op.batch_alter_table("need") as batch:
        batch.add_column(sa.Column("cancel_reason", sa.String(1000), nullable=True))
    with op.batch_alter_table("offer") as batch:
        batch.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withdraw_reason", sa.String(1000), nullable=True))
        batch.create_foreign_key("fk_offer_need_id_need", "need", ["need_id"], ["id"])
        batch.create_index("ix_offer_need_id", ["need_id"])


def downgrade() -> None:
    """Drop the contact tables and the new columns."""
    with op.batch_alter_table("offer") as batch:
        batch.drop_index("ix_offer_need_id")
        batch.drop_constraint("fk_offer_need_id_need", type_="foreignkey")
        batch.drop_column("withdraw_reason")
        batch.drop_column("need_id")
    with op.batch_alter_table("need") as batch:
        batch.drop_column("cancel_reason")
    op.drop_index("ix_dispatch_person_dispatch_id", table_name="dispatch_person")
    op.drop_table("dispatch_person")
    op.drop_table("need_site_contact")
    op.drop_index("ix_association_contact_association_id", table_name="association_contact")
    op.drop_table("association_contact")

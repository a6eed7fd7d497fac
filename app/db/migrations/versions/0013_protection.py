"""rate limits per client address, and who holds each slot

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counter",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", "window", name="pk_rate_counter"),
    )
    with op.batch_alter_table("slot_hold") as batch:
        batch.add_column(sa.Column("holder", sa.String(64), nullable=False, server_default=""))
        batch.create_index("ix_slot_hold_holder", ["holder"])


def downgrade() -> None:
    with op.batch_alter_table("slot_hold") as batch:
        batch.drop_index("ix_slot_hold_holder")
        batch.drop_column("holder")
    op.drop_table("rate_counter")

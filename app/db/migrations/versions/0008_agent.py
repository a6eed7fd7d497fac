"""agents' daily work: a booking cancelled by staff frees its place at once

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking") as batch_op:
        batch_op.add_column(
            sa.Column("cancelled_by_staff", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("booking") as batch_op:
        batch_op.drop_column("cancelled_by_staff")

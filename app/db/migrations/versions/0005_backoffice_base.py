"""back-office base: attendance, anonymisation, retention, commune colour

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking") as batch_op:
        batch_op.add_column(sa.Column("attendance", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", app.db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("commune") as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="365")
        )
        batch_op.add_column(
            sa.Column(
                "primary_color", sa.String(length=7), nullable=False, server_default="#000091"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("commune") as batch_op:
        batch_op.drop_column("primary_color")
        batch_op.drop_column("retention_days")
    with op.batch_alter_table("booking") as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("attendance")

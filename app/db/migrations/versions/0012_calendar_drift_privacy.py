"""calendar bridge: the publishing calendar's own sync token (drift found at each sync),
what agents' events say about the person

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connection") as batch_op:
        batch_op.add_column(sa.Column("publish_sync_token", sa.String(500), nullable=True))
    with op.batch_alter_table("commune") as batch_op:
        batch_op.add_column(
            sa.Column("calendar_details", sa.String(20), nullable=False, server_default="initiale")
        )


def downgrade() -> None:
    with op.batch_alter_table("commune") as batch_op:
        batch_op.drop_column("calendar_details")
    with op.batch_alter_table("calendar_connection") as batch_op:
        batch_op.drop_column("publish_sync_token")

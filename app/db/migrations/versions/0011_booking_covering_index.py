"""free slots read the bookings of a range from one covering index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ["desk_id", "start", "end", "status", "type_id", "people", "by_staff"]


def upgrade() -> None:
    op.create_index("ix_booking_desk_start_cover", "booking", COLUMNS)
    op.drop_index("ix_booking_desk_start", table_name="booking")


def downgrade() -> None:
    op.create_index("ix_booking_desk_start", "booking", ["desk_id", "start"])
    op.drop_index("ix_booking_desk_start_cover", table_name="booking")

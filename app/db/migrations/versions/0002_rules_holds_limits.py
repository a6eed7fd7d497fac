"""Rules of issue 3: places kept for staff, per-citizen limits, slot holds, cool-down.

Existing rows get the defaults through server defaults (no limit, 10-minute holds).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:28:40.490330
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slot_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("start", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("end", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("expires_at", app.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_slot_hold_desk_id_desk")),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_slot_hold_draft_id_draft"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["appointment_type.id"], name=op.f("fk_slot_hold_type_id_appointment_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_hold")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_slot_hold_draft_id")),
    )
    with op.batch_alter_table("slot_hold", schema=None) as batch_op:
        batch_op.create_index("ix_slot_hold_desk_start", ["desk_id", "start"], unique=False)
        batch_op.create_index(batch_op.f("ix_slot_hold_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("staff_reserved_places", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("limit_bookings", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("limit_period_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(
            sa.Column("hold_minutes", sa.Integer(), nullable=False, server_default="10")
        )
        batch_op.add_column(
            sa.Column("cooldown_minutes", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_staff", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("cancelled_at", app.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("by_staff")

    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.drop_column("cooldown_minutes")
        batch_op.drop_column("hold_minutes")
        batch_op.drop_column("limit_period_days")
        batch_op.drop_column("limit_bookings")
        batch_op.drop_column("staff_reserved_places")

    with op.batch_alter_table("slot_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slot_hold_expires_at"))
        batch_op.drop_index("ix_slot_hold_desk_start")

    op.drop_table("slot_hold")

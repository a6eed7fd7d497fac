"""web push: subscriptions per booking, the VAPID key pair

Revision ID: 0010
Revises: 0005
Create Date: 2026-11-28 05:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_push_subscription_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("booking_id", "endpoint", name="uq_push_subscription_booking_endpoint"),
    )
    op.create_index(op.f("ix_push_subscription_booking_id"), "push_subscription", ["booking_id"])
    op.create_table(
        "vapid_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vapid_key")),
    )


def downgrade() -> None:
    op.drop_table("vapid_key")
    op.drop_index(op.f("ix_push_subscription_booking_id"), table_name="push_subscription")
    op.drop_table("push_subscription")

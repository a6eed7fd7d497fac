"""configuration: commune logo, legal notice and accessibility statement, Markdown sources

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COMMUNE_TEXTS = ("legal_notice_md", "legal_notice_html", "accessibility_md", "accessibility_html")


def upgrade() -> None:
    with op.batch_alter_table("commune") as batch_op:
        batch_op.add_column(sa.Column("logo_data", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("logo_content_type", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("logo_digest", sa.String(length=64), nullable=False, server_default="")
        )
        for name in COMMUNE_TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("appointment_type") as batch_op:
        batch_op.add_column(
            sa.Column("description_md", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("gdpr_md", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("appointment_type") as batch_op:
        batch_op.drop_column("gdpr_md")
        batch_op.drop_column("description_md")
    with op.batch_alter_table("commune") as batch_op:
        for name in reversed(COMMUNE_TEXTS):
            batch_op.drop_column(name)
        batch_op.drop_column("logo_digest")
        batch_op.drop_column("logo_content_type")
        batch_op.drop_column("logo_data")

"""trust: the retention job's audit log

Revision ID: tr04_purge_log
Revises: tr03_show_reports
Create Date: 2026-11-29 10:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "tr04_purge_log"
down_revision: str | Sequence[str] | None = "tr03_show_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purge_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_log")),
    )
    with op.batch_alter_table("purge_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purge_log_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("purge_log")

"""insights: a category for each product, so stores that sell alike can be compared

Revision ID: 0901_insights
Revises:
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0901_insights"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("insights",)
depends_on: str | Sequence[str] | None = "0302_checkout_presented"


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sa.String(length=24), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("category")

"""checkout: when a line-up product was first shown (buyable from the cart after that)

Revision ID: 0302_checkout_presented
Revises: 0301_checkout
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0302_checkout_presented"
down_revision: str | Sequence[str] | None = "0301_checkout"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("show_products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("presented_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Whatever is pinned now has been shown.
    op.execute("UPDATE show_products SET presented_at = pinned_at WHERE pinned_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("show_products", schema=None) as batch_op:
        batch_op.drop_column("presented_at")

"""checkout: the buying sheet's key on an order, so a repeated request is one order

Revision ID: 0303_checkout_request_key
Revises: 0302_checkout_presented
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0303_checkout_request_key"
down_revision: str | Sequence[str] | None = "0302_checkout_presented"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_orders_user_id_request_key", ["user_id", "request_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("uq_orders_user_id_request_key")
        batch_op.drop_column("request_key")

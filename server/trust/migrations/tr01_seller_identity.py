"""trust: the seller's business identity on the store, and when an operator verified it

Revision ID: tr01_seller_identity
Revises:
Create Date: 2026-11-29 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "tr01_seller_identity"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("trust",)
depends_on: str | Sequence[str] | None = "0005_event_names"

TEXT_COLUMNS = (
    ("business_name", 120),
    ("representative", 60),
    ("business_number", 12),
    ("mail_order_number", 40),
    ("business_address", 200),
    ("business_phone", 20),
    ("business_email", 254),
)


def upgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        for name, length in TEXT_COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )
        batch_op.add_column(
            sa.Column("identity_verified_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("identity_verified_at")
        for name, _length in reversed(TEXT_COLUMNS):
            batch_op.drop_column(name)

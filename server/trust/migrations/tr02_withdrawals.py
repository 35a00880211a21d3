"""trust: withdrawals (청약철회), and when an order was shipped and delivered

Revision ID: tr02_withdrawals
Revises: tr01_seller_identity
Create Date: 2026-11-29 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "tr02_withdrawals"
down_revision: str | Sequence[str] | None = "tr01_seller_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0302_checkout_presented"


def upgrade() -> None:
    # The delivery dates belong to the order (checkout's model) but only the withdrawal
    # window reads them, so they arrive with it.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipped_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("delivered_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("requested_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_due_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.String(length=40), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("goods_returned", sa.Boolean(), nullable=False),
        sa.Column("refunded_amount", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_withdrawals_order_id_orders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_withdrawals_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_withdrawals_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_withdrawals_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint("order_id", name=op.f("uq_withdrawals_order_id")),
    )
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_withdrawals_answer_due_at"), ["answer_due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_withdrawals_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_withdrawals_store_id"), ["store_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withdrawals_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("withdrawals")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("shipped_at")

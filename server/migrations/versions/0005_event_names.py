"""journal kinds in the one event naming style (stream.state -> stream:state)

Revision ID: 0005_event_names
Revises: 0004_replay
Create Date: 2026-11-29 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_event_names"
down_revision: str | Sequence[str] | None = "0004_replay"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE show_events SET kind = 'stream:state' WHERE kind = 'stream.state'")


def downgrade() -> None:
    op.execute("UPDATE show_events SET kind = 'stream.state' WHERE kind = 'stream:state'")

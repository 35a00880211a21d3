from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import Store, User
from server.db import Base, UTCDateTime, utcnow
from server.errors import N_


class ShowState(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """What a person reads for this state (an English msgid for the catalogs); the
        value itself is a code and never shown."""
        return SHOW_STATE_LABELS[self]


SHOW_STATE_LABELS = {
    ShowState.SCHEDULED: N_("Scheduled"),
    ShowState.LIVE: N_("Live"),
    ShowState.ENDED: N_("Ended"),
    ShowState.CANCELLED: N_("Cancelled"),
}


MAX_DURATION_MINUTES = 12 * 60


class Approval(enum.StrEnum):
    """A merchant's slot request waits for an operator; operators' own plans are approved."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class Show(Base):
    __tablename__ = "shows"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    cover_path: Mapped[str | None] = mapped_column(String(255), default=None)
    scheduled_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    state: Mapped[ShowState] = mapped_column(
        Enum(
            ShowState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ShowState.SCHEDULED,
        index=True,
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    approval: Mapped[Approval] = mapped_column(
        Enum(
            Approval,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=Approval.APPROVED,
        server_default=Approval.APPROVED.value,
    )
    # The merchant can take a replay down; the recording itself is kept.
    replay_hidden: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Made by `seed-demo`: its video is a looping clip (or a made-up recording), and the
    # pages say so.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The operator's last word on this show: why it was declined or moved.
    operator_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Bearer token for OBS and other WHIP encoders; regenerated from the studio.
    stream_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    store: Mapped[Store] = relationship(lazy="raise_on_sql")
    creators: Mapped[list[User]] = relationship(secondary="show_creators", lazy="raise_on_sql")

    @property
    def is_public(self) -> bool:
        """Shoppers see approved shows only; requests and declined ones stay with staff."""
        return self.approval is Approval.APPROVED

    @property
    def effective_start(self) -> dt.datetime:
        """When the show went live if it has (early or late), else when it is planned to:
        what a "start" column and a calendar day mean to the people reading them."""
        return self.started_at or self.scheduled_start

    @property
    def scheduled_end(self) -> dt.datetime:
        return self.scheduled_start + dt.timedelta(minutes=self.duration_minutes)


class ShowCreator(Base):
    __tablename__ = "show_creators"
    __table_args__ = (UniqueConstraint("show_id", "creator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

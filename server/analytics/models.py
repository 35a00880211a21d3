from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class ShowEvent(Base):
    """A moment of a show worth finding again: a pin, a flash sale, an order, the stream
    going up or down. Written from the live-event publisher; read by replay and charts."""

    __tablename__ = "show_events"
    __table_args__ = (Index("ix_show_events_show_id_offset", "show_id", "offset_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Milliseconds since the show went live; None for what happened before.
    offset_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ViewerVisit(Base):
    """One viewer watching one show for a while (joined → left)."""

    __tablename__ = "viewer_visits"
    __table_args__ = (Index("ix_viewer_visits_show_id_viewer", "show_id", "viewer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    # "u<user id>" for signed-in viewers, "b<hash>" for an anonymous browser.
    viewer_key: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class ViewerSample(Base):
    """The concurrent viewer count of a live show at one moment."""

    __tablename__ = "viewer_samples"
    __table_args__ = (Index("ix_viewer_samples_show_id_at", "show_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    offset_ms: Mapped[int] = mapped_column(Integer, default=0)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    # The show's heart total at that moment (hearts live in chat's shared state).
    hearts: Mapped[int] = mapped_column(Integer, default=0)

"""Slots an operator opens for new merchants to take, and the day-of checklist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class OpenSlot(Base):
    """A time an operator has cleared for a show. A merchant who takes it gets an
    approved show at once; asking for another time stays a slot request."""

    __tablename__ = "open_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    note: Mapped[str] = mapped_column(String(200), default="")
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The show made from it; NULL while the slot is free.
    show_id: Mapped[int | None] = mapped_column(
        ForeignKey("shows.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChecklistTick(Base):
    """One item of the day-of checklist, ticked for a show."""

    __tablename__ = "show_checklist"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("shows.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(20), primary_key=True)
    ticked_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ticked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """A message in a user's notification list. The text is a catalog template plus its
    parameters, so it reads in whatever language the user has when they open it."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class Reminder(Base):
    """A shopper asked to be told before a show starts."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("user_id", "show_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the reminder went out (in-app and, if configured, by e-mail); None until then.
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

"""Creators' public profiles, show jobs with the roles and pay they offer, applications,
reviews after the show, and which of a show's numbers its merchant lets crews publish."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import Store, User
from server.db import Base, UTCDateTime, utcnow
from server.errors import N_
from server.shows.models import Show


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class CrewRole(enum.StrEnum):
    """The jobs of a show's crew. Today a hire becomes one of the show's creators
    (`server/jobs/hiring.py`); the crew-roles feature will give each its own rights."""

    HOST = "host"
    CAMERA = "camera"
    WRITER = "writer"


CREW_ROLE_WORDS = (N_("host"), N_("camera"), N_("writer"))


class CreatorProfile(Base):
    __tablename__ = "creator_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # CrewRole values
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # 시/도 they travel to
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobStatus(enum.StrEnum):
    OPEN = "open"
    FILLED = "filled"  # every role hired
    CLOSED = "closed"  # the merchant closed it
    REMOVED = "removed"  # an operator took it down, with a reason


JOB_STATUS_WORDS = (N_("open"), N_("filled"), N_("closed"), N_("removed"))


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    posted_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(20), default="", index=True)  # 시/도
    place: Mapped[str] = mapped_column(String(255), default="")
    remote: Mapped[bool] = mapped_column(default=False)
    prepare: Mapped[str] = mapped_column(Text, default="")  # what to prepare or bring
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.OPEN)
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[JobRole]] = relationship(
        lazy="raise_on_sql", order_by="JobRole.id", cascade="all, delete-orphan"
    )
    show: Mapped[Show] = relationship(lazy="raise_on_sql")
    store: Mapped[Store] = relationship(lazy="raise_on_sql")

    def pay_for(self, role: str) -> int | None:
        """Needs `roles` loaded."""
        return next((r.pay for r in self.roles if r.role == role), None)


class JobRole(Base):
    """One role a job wants, and what it pays in KRW."""

    __tablename__ = "job_roles"
    __table_args__ = (
        UniqueConstraint("job_id", "role"),
        CheckConstraint("pay > 0", name="pay_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    pay: Mapped[int] = mapped_column(Integer)  # KRW


class ApplicationStatus(enum.StrEnum):
    APPLIED = "applied"
    HIRED = "hired"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


APPLICATION_STATUS_WORDS = (N_("applied"), N_("hired"), N_("declined"), N_("withdrawn"))


class Application(Base):
    __tablename__ = "job_applications"
    __table_args__ = (UniqueConstraint("job_id", "creator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # the role applied for
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus), default=ApplicationStatus.APPLIED
    )
    # The role the merchant hired them for (None until hired).
    hired_role: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    creator: Mapped[User] = relationship(lazy="raise_on_sql")
    job: Mapped[Job] = relationship(lazy="raise_on_sql")


class Review(Base):
    """One side of a show reviewing the other: the merchant a creator, a creator the
    merchant. Shown once both have written, or 14 days after the show ended."""

    __tablename__ = "show_reviews"
    __table_args__ = (
        UniqueConstraint("show_id", "author_id", "subject_id"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_reason: Mapped[str] = mapped_column(Text, default="")


class ShowPublication(Base):
    """Which of a show's numbers its merchant lets the crew show in their portfolios."""

    __tablename__ = "show_publications"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("shows.id", ondelete="CASCADE"), primary_key=True
    )
    viewers: Mapped[bool] = mapped_column(default=False)
    orders: Mapped[bool] = mapped_column(default=False)

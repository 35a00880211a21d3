from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from server.errors import N_

# Role and status names as the pages show them; listed so the catalogs carry them.
ROLE_WORDS = (N_("operator"), N_("merchant"), N_("creator"), N_("shopper"))
STATUS_WORDS = (N_("pending"), N_("active"), N_("rejected"), N_("suspended"))


class Role(enum.StrEnum):
    OPERATOR = "operator"
    MERCHANT = "merchant"
    CREATOR = "creator"
    SHOPPER = "shopper"


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # merchants and creators wait for an operator
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    logo_path: Mapped[str | None] = mapped_column(String(255), default=None)
    market: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    refund_policy: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The seller's identity the law asks to show wherever it sells (server/trust): kept
    # on the store so every page that has the store has it; an operator's verification
    # is cleared whenever the merchant changes it.
    business_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    representative: Mapped[str] = mapped_column(String(60), default="", server_default="")
    business_number: Mapped[str] = mapped_column(String(12), default="", server_default="")
    mail_order_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    business_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    business_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    business_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    merchants: Mapped[list[User]] = relationship(
        back_populates="store", lazy="raise_on_sql", foreign_keys="User.store_id"
    )

    @property
    def identity_complete(self) -> bool:
        return all(
            (
                self.business_name,
                self.representative,
                self.business_number,
                self.mail_order_number,
                self.business_address,
                self.business_phone or self.business_email,
            )
        )

    @property
    def identity_verified(self) -> bool:
        return self.identity_complete and self.identity_verified_at is not None


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    status: Mapped[AccountStatus] = mapped_column(
        Enum(
            AccountStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AccountStatus.ACTIVE,
    )
    locale: Mapped[str] = mapped_column(String(8), default="ko")
    store_id: Mapped[int | None] = mapped_column(
        ForeignKey("stores.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    store: Mapped[Store | None] = relationship(
        back_populates="merchants", lazy="raise_on_sql", foreign_keys=[store_id]
    )

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class CreatorAssignment(Base):
    """A creator works for a store; shows of that store can be given to them."""

    __tablename__ = "creator_assignments"
    __table_args__ = (UniqueConstraint("creator_id", "store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LoginThrottleRow(Base):
    """Sign-in attempts of one (address, account) pair (server/accounts/ratelimit.py).
    Times are epoch seconds so the claim's arithmetic runs in SQL on every backend."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    lock_seconds: Mapped[float] = mapped_column(Float)
    locked_until: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float, index=True)
    # Whether the latest claim was let through (the upsert's RETURNING tells the caller).
    allowed: Mapped[bool] = mapped_column(Boolean)

"""Tables of the trust domain: withdrawals (청약철회), reports of shows, and the log of
what the retention job purged. The seller's identity lives on `stores` (accounts)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow
from server.errors import N_


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class WithdrawalState(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the merchant
    ESCALATED = "escalated"  # the merchant did not answer in 3 business days: operators decide
    ACCEPTED = "accepted"  # refunded
    REFUSED = "refused"  # with one of the law's reasons, shown to the shopper

    @property
    def is_open(self) -> bool:
        return self in (WithdrawalState.REQUESTED, WithdrawalState.ESCALATED)


# What each state is called on the pages.
WITHDRAWAL_STATE_WORDS: dict[str, str] = {
    WithdrawalState.REQUESTED: N_("waiting for the store"),
    WithdrawalState.ESCALATED: N_("passed to the operators"),
    WithdrawalState.ACCEPTED: N_("accepted and refunded"),
    WithdrawalState.REFUSED: N_("refused"),
}


class RefusalReason(enum.StrEnum):
    """The only grounds on which a seller may refuse (전자상거래법 제17조 제2항)."""

    DAMAGED_BY_CONSUMER = "damaged_by_consumer"  # 1호
    VALUE_LOST_BY_USE = "value_lost_by_use"  # 2호
    VALUE_LOST_BY_TIME = "value_lost_by_time"  # 3호
    COPYABLE_PACKAGE_OPENED = "copyable_package_opened"  # 4호
    MADE_TO_ORDER = "made_to_order"  # 6호 (시행령 제21조), only if told and agreed first


REFUSAL_WORDS: dict[str, str] = {
    RefusalReason.DAMAGED_BY_CONSUMER: N_(
        "The goods were lost or damaged through the buyer's fault (opening the packaging "
        "to check the contents does not count)."
    ),
    RefusalReason.VALUE_LOST_BY_USE: N_(
        "The buyer used or partly consumed the goods, and their value fell markedly."
    ),
    RefusalReason.VALUE_LOST_BY_TIME: N_(
        "Time has passed and the goods can no longer be sold again (e.g. fresh food)."
    ),
    RefusalReason.COPYABLE_PACKAGE_OPENED: N_(
        "The packaging of goods that can be copied (books, recordings, software) was opened."
    ),
    RefusalReason.MADE_TO_ORDER: N_(
        "The goods were made to the buyer's own order, and the buyer was told and agreed "
        "in writing beforehand that such an order cannot be withdrawn."
    ),
}


class Withdrawal(Base):
    """A shopper's withdrawal of one order, and the store's (or operators') answer."""

    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One request per order; kept as long as the order (5 years).
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"), index=True)
    state: Mapped[WithdrawalState] = mapped_column(
        _enum(WithdrawalState), default=WithdrawalState.REQUESTED, index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    # Paths of the shopper's photos below DATA_DIR/private (never served publicly).
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    refusal_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    answer_note: Mapped[str] = mapped_column(Text, default="")
    goods_returned: Mapped[bool] = mapped_column(default=False)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)


class ReportKind(enum.StrEnum):
    FALSE_ADVERTISING = "false_advertising"  # 거짓·과장 광고
    PROHIBITED_GOODS = "prohibited_goods"  # 판매 금지 상품
    ABUSE = "abuse"  # 욕설·괴롭힘
    OTHER = "other"


REPORT_WORDS: dict[str, str] = {
    ReportKind.FALSE_ADVERTISING: N_("False or exaggerated advertising"),
    ReportKind.PROHIBITED_GOODS: N_("Goods that may not be sold"),
    ReportKind.ABUSE: N_("Abuse or harassment"),
    ReportKind.OTHER: N_("Something else"),
}


class ShowReport(Base):
    """A viewer's report of a show at one moment, for the operators' queue."""

    __tablename__ = "show_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="RESTRICT"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind))
    # Seconds since the show went live: where the operators look first.
    offset_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    during_replay: Mapped[bool] = mapped_column(default=False)
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class PurgeRecord(Base):
    """One line of the retention job's audit: what was deleted, when and why."""

    __tablename__ = "purge_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # "recording", "order" (with its payments, refunds and withdrawal) or "report".
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")

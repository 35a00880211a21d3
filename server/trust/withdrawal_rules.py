"""When an order may be withdrawn, and when a store's answer is due (pure functions).

전자상거래법 제17조 ①: seven days from the day the goods were supplied. The day they
were supplied is the delivery the merchant marked; without it, the day they should have
arrived (shipping plus `TRANSIT_DAYS`); before shipping the seven days have not begun.
The window closes at the end of the seventh day, Seoul time. A store has three business
days (Monday to Friday; public holidays are not known here) to answer before the
request goes to the operators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from checkout.models import Order, OrderStatus
from server.errors import N_
from server.i18n import SEOUL

WITHDRAWAL_DAYS = 7
TRANSIT_DAYS = 3
ANSWER_BUSINESS_DAYS = 3
WITHDRAWABLE = frozenset(
    {OrderStatus.PAID, OrderStatus.PREPARING, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)


@dataclass(frozen=True)
class Window:
    allowed: bool
    # The last day (Seoul) a request is accepted; None while the goods are not out yet.
    last_day: dt.date | None
    why_not: str = ""


def supplied_on(order: Order) -> dt.datetime | None:
    if order.delivered_at is not None:
        return order.delivered_at
    if order.shipped_at is not None:
        return order.shipped_at + dt.timedelta(days=TRANSIT_DAYS)
    return None


def window(order: Order, now: dt.datetime) -> Window:
    supplied = supplied_on(order)
    last_day = (
        supplied.astimezone(SEOUL).date() + dt.timedelta(days=WITHDRAWAL_DAYS)
        if supplied is not None
        else None
    )
    if order.status not in WITHDRAWABLE or order.refundable <= 0:
        return Window(False, last_day, N_("it is not a paid order that can still be refunded."))
    if last_day is not None and now.astimezone(SEOUL).date() > last_day:
        return Window(False, last_day, N_("the 7 days after delivery have passed."))
    return Window(True, last_day)


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """`start` moved on by `days` weekdays (Seoul calendar), same time of day."""
    local = start.astimezone(SEOUL)
    counted = 0
    while counted < days:
        local += dt.timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.astimezone(dt.UTC)

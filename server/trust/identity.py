"""The seller's identity (전자상거래법 제13조, and 제20조 for the platform that carries the
sale): what a merchant fills in, what an operator verifies, and the gate a show passes
before it goes public."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Role, Store, User
from server.db import utcnow
from server.errors import N_, Forbidden
from server.shows.models import Show
from server.trust import business_number
from server.trust.errors import BadTrustInput, SellerNotVerified

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"[0-9][0-9 -]{6,18}[0-9]")


@dataclass(frozen=True)
class IdentityInput:
    business_name: str
    representative: str
    business_number: str
    mail_order_number: str
    business_address: str
    business_phone: str
    business_email: str

    @classmethod
    def of_store(cls, store: Store) -> IdentityInput:
        return cls(
            store.business_name,
            store.representative,
            business_number.formatted(store.business_number) if store.business_number else "",
            store.mail_order_number,
            store.business_address,
            store.business_phone,
            store.business_email,
        )


def _text(value: str, field: str, low: int, high: int, message: str) -> str:
    value = value.strip()
    if not low <= len(value) <= high:
        raise BadTrustInput(message, field=field)
    return value


def validate(data: IdentityInput) -> IdentityInput:
    """Every field the law names, checked; the business number by its check digit."""
    digits = business_number.normalize(data.business_number)
    if not business_number.is_valid(digits):
        raise BadTrustInput(
            N_("Enter a valid business registration number (10 digits, e.g. 123-45-67890)."),
            field="business_number",
        )
    phone = data.business_phone.strip()
    email = data.business_email.strip()
    if not phone and not email:
        raise BadTrustInput(N_("Enter a phone number or an e-mail address."), field="phone")
    if phone and not PHONE.fullmatch(phone):
        raise BadTrustInput(N_("Enter a phone number such as 02-123-4567."), field="phone")
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise BadTrustInput(N_("Enter a valid e-mail address."), field="email")
    return IdentityInput(
        business_name=_text(
            data.business_name, "business_name", 1, 120, N_("Enter the business name.")
        ),
        representative=_text(
            data.representative, "representative", 1, 60, N_("Enter the representative's name.")
        ),
        business_number=digits,
        mail_order_number=_text(
            data.mail_order_number,
            "mail_order_number",
            4,
            40,
            N_("Enter the mail-order business report number (e.g. 2024-서울마포-0123)."),
        ),
        business_address=_text(
            data.business_address, "business_address", 5, 200, N_("Enter the business address.")
        ),
        business_phone=phone,
        business_email=email,
    )


def check_may_edit(actor: User, store: Store) -> None:
    if actor.role is Role.OPERATOR:
        return
    if actor.role is Role.MERCHANT and actor.store_id == store.id:
        return
    raise Forbidden(N_("You can only change your own store."))


def save(store: Store, actor: User, data: IdentityInput) -> bool:
    """Store the details; returns True if they changed, which clears the verification:
    an operator checks again what the shoppers will be shown."""
    check_may_edit(actor, store)
    clean = validate(data)
    before = IdentityInput.of_store(store)
    store.business_name = clean.business_name
    store.representative = clean.representative
    store.business_number = clean.business_number
    store.mail_order_number = clean.mail_order_number
    store.business_address = clean.business_address
    store.business_phone = clean.business_phone
    store.business_email = clean.business_email
    changed = IdentityInput.of_store(store) != before
    # An operator's own edit is the operator's check; a merchant's waits for one.
    if actor.role is Role.OPERATOR:
        store.identity_verified_at = store.identity_verified_at or utcnow()
    elif changed:
        store.identity_verified_at = None
    return changed


def set_verified(store: Store, actor: User, verified: bool) -> None:
    if actor.role is not Role.OPERATOR:
        raise Forbidden(N_("Only operators verify sellers."))
    if verified and not store.identity_complete:
        raise BadTrustInput(N_("The seller has not filled in every business detail yet."))
    store.identity_verified_at = utcnow() if verified else None


def check_may_go_public(show: Show) -> None:
    """A show is offered to the public only by a seller whose identity is shown and
    verified. Needs `show.store` loaded."""
    if not show.store.identity_verified:
        raise SellerNotVerified(store=show.store.name)


async def stores_for_review(session: AsyncSession) -> list[Store]:
    """Stores waiting for a check first (filled in, not verified), then the rest."""
    rows = list(await session.scalars(select(Store).order_by(Store.name)))
    return sorted(rows, key=lambda s: (s.identity_verified, not s.identity_complete, s.name))

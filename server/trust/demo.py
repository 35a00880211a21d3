"""Business details for demo and test stores: complete and verified, so their shows can
go public (made-up values with valid check digits)."""

from __future__ import annotations

from server.accounts.models import Store
from server.db import utcnow
from server.trust.business_number import with_check_digit


def give_identity(store: Store, n: int = 1, *, verified: bool = True) -> Store:
    store.business_name = store.business_name or store.name
    store.representative = store.representative or "김대표"
    store.business_number = with_check_digit(f"{100 + n % 900:03d}81{n % 10000:04d}")
    store.mail_order_number = f"2026-서울마포-{n % 10000:04d}"
    store.business_address = "서울특별시 마포구 망원로 1"
    store.business_phone = "02-123-4567"
    store.business_email = f"seller{n}@example.kr"
    store.identity_verified_at = utcnow() if verified else None
    return store

"""Signing up a new merchant with their store and its market, in one form."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service as accounts
from server.accounts.models import Store, User
from server.errors import N_
from server.markets import service as markets
from server.notifications import service as notifications
from server.shows import scheduling


async def sign_up(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    store_name: str,
    market_id: int | None,
    locale: str,
) -> User:
    """The account (waiting for an operator, like every merchant), its store placed in
    its market (or independent), and a word to the operators so they can approve it."""
    user = await accounts.sign_up_merchant(
        session,
        email=email,
        password=password,
        display_name=display_name,
        store_name=store_name,
        locale=locale,
    )
    store = await session.get(Store, user.store_id)
    assert store is not None
    await markets.set_store_market(session, store, market_id)
    await notifications.notify(
        session,
        await scheduling.operators(session),
        N_("New merchant waiting for approval: %(store)s (%(name)s)"),
        link="/ops",
        store=store.name,
        name=user.display_name,
    )
    return user

"""Checkout fixtures: the real app on a real port (so localstripe can deliver its signed
webhooks), pointed at a session-wide localstripe, with a live show and its merchant."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from checkout import catalog
from checkout.config import CheckoutConfig
from server import keys
from server.accounts.models import Role, Store, User
from server.app import create_app
from server.keys import checkout_config as config
from server.localstripe_process import localstripe_settings
from server.settings import Settings
from server.shows import service as shows
from server.shows.models import Show
from tests.helpers import (
    AppClient,
    ServerClient,
    login_as,
    make_merchant,
    make_show,
    make_user,
    record_events,
    recorder,
)
from tests.localstripe import free_port, localstripe_url

__all__ = ["localstripe_url"]


@dataclass
class Shop:
    """A live show with one pinned product, and ways to act as its people."""

    client: AppClient
    merchant: User
    store: Store
    show: Show
    product_id: int
    stripe: str
    make_client: Callable[[], Awaitable[ServerClient]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def published(self) -> list[tuple[int, str, dict[str, Any]]]:
        return self.client.app[recorder].published

    async def shopper(self, name: str | None = None) -> tuple[ServerClient, User]:
        user = await make_user(self.app, Role.SHOPPER, name=name)
        client = await self.make_client()
        await login_as(client, user)
        return client, user

    async def as_merchant(self) -> ServerClient:
        client = await self.make_client()
        await login_as(client, self.merchant)
        return client


async def build_shop(
    settings: Settings,
    stripe: str,
    aiohttp_client: AiohttpClient,
    stock: int = 5,
    price: int = 15000,
    sweep_every: float = 3600,
) -> Shop:
    port = free_port()
    settings = localstripe_settings(settings, stripe).with_(public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    record_events(app)
    app[config] = CheckoutConfig(
        sweep_every_seconds=sweep_every, webhook_name=f"test-{uuid.uuid4().hex[:10]}"
    )
    client: AppClient = await aiohttp_client(app, server_kwargs={"port": port})
    merchant, store = await make_merchant(app, "망원 반찬")
    show = await make_show(app, store, start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name="김장 김치 2kg", price=price, stock=stock, per_order_limit=5),
        )
        live_show = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live_show, "start")
        await catalog.add_to_lineup(session, merchant, live_show, product.id)
        await catalog.pin(session, merchant, live_show, product.id)
        show = await shows.get_show_fresh(session, show.id)

    async def make_client() -> ServerClient:
        return await aiohttp_client(client.server)

    return Shop(
        client=client,
        merchant=merchant,
        store=store,
        show=show,
        product_id=product.id,
        stripe=stripe,
        make_client=make_client,
    )


@pytest.fixture
async def shop(settings: Settings, localstripe_url: str, aiohttp_client: AiohttpClient) -> Shop:
    return await build_shop(settings, localstripe_url, aiohttp_client)


SHIPPING = {
    "name": "김민수",
    "phone": "010-1234-5678",
    "postcode": "04001",
    "address": "서울 마포구 망원로 1",
    "address_detail": "101호",
}


def order_body(product_id: int, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"items": [{"product_id": product_id, "quantity": quantity}], **SHIPPING, **extra}

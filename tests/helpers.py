"""Shared test helpers: accounts, sign-in through the real pages, CSRF tokens."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TypeAlias

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from checkout import catalog
from checkout.models import Product
from server import keys
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role, Store, User
from server.db import utcnow
from server.events import RecordingPublisher
from server.security import CSRF_COOKIE, csrf_token_for
from server.shows import service as shows
from server.shows.models import Show
from server.trust.demo import give_identity

# The test client of an app built by `create_app` (pytest-aiohttp's `aiohttp_client(app)`).
AppClient: TypeAlias = TestClient[web.Request, web.Application]
# Another browser on an app already served, with its own cookies
# (`aiohttp_client(client.server)`): pytest-aiohttp types it without the app.
ServerClient: TypeAlias = TestClient[web.Request, None]
Browser: TypeAlias = AppClient | ServerClient

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


async def make_user(
    app: web.Application,
    role: Role = Role.SHOPPER,
    *,
    email: str | None = None,
    name: str | None = None,
    store_id: int | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
) -> User:
    n = next(_counter)
    async with app[keys.sessionmaker].begin() as session:
        return await accounts.create_user(
            session,
            email=email or f"{role.value}{n}@example.kr",
            password=PASSWORD,
            display_name=name or f"{role.value} {n}",
            role=role,
            status=status,
            store_id=store_id,
        )


async def make_store(
    app: web.Application, name: str = "망원 반찬", *, verified_seller: bool = True
) -> Store:
    """A store; by default with its business details given and verified, so that its
    shows may go public (`verified_seller=False`: none given)."""
    async with app[keys.sessionmaker].begin() as session:
        store = await accounts.create_store(session, name=name, refund_policy="7일 이내 환불")
        if verified_seller:
            give_identity(store, next(_counter))
        return store


async def make_merchant(app: web.Application, store_name: str = "망원 반찬") -> tuple[User, Store]:
    store = await make_store(app, store_name)
    return await make_user(app, Role.MERCHANT, store_id=store.id), store


async def make_show(
    app: web.Application,
    store: Store,
    creators: list[User] | None = None,
    *,
    title: str = "김장 라이브",
    start: dt.datetime | None = None,
) -> Show:
    async with app[keys.sessionmaker].begin() as session:
        operator = User(role=Role.OPERATOR, status=AccountStatus.ACTIVE, id=0)
        for creator in creators or []:
            await accounts.assign_creator(session, creator.id, store.id)
        return await shows.create_show(
            session,
            operator,
            store_id=store.id,
            title=title,
            # Each show gets its own slot so that shows of one store never overlap.
            scheduled_start=start or utcnow() + dt.timedelta(hours=2 + 3 * next(_counter)),
            creator_ids=[c.id for c in creators or []],
            allow_past=True,
        )


def app_of(client: Browser) -> web.Application:
    """The app behind a browser of either kind."""
    server = client.server
    assert isinstance(server, TestServer)
    return server.app


def csrf(client: Browser) -> str:
    """The CSRF token a page would carry for this client's cookie jar."""
    seed = next((c.value for c in client.session.cookie_jar if c.key == CSRF_COOKIE), None)
    assert seed, "no CSRF cookie yet: GET a page first"
    return csrf_token_for(app_of(client)[keys.settings].secret_key.reveal(), seed)


async def login(client: Browser, email: str, password: str = PASSWORD) -> ClientResponse:
    await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "_csrf": csrf(client)},
        allow_redirects=False,
    )


async def login_as(client: Browser, user: User) -> None:
    resp = await login(client, user.email)
    assert resp.status == 303, await resp.text()


# Tests only: the recorder `record_events` subscribed to an app's live-event bus.
recorder = web.AppKey("test_event_recorder", RecordingPublisher)


def record_events(app: web.Application) -> RecordingPublisher:
    """Record what a not yet started app publishes to live viewers, while it still
    reaches them: a recorder subscribed to the bus beside chat and the journal."""
    app[recorder] = RecordingPublisher()
    app[keys.live_events].subscribe(app[recorder])
    return app[recorder]


@dataclass
class LiveSale:
    """A live show with one product pinned, its merchant and a shopper to buy it."""

    merchant: User
    shopper: User
    show: Show
    product: Product


async def live_show_with_pinned_product(
    app: web.Application,
    *,
    store_name: str,
    shopper_name: str,
    title: str,
    product_name: str,
    price: int,
    stock: int,
) -> LiveSale:
    merchant, store = await make_merchant(app, store_name)
    shopper = await make_user(app, Role.SHOPPER, name=shopper_name)
    show = await make_show(
        app, store, title=title, start=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    )
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name=product_name, price=price, stock=stock),
        )
        live_show = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live_show, "start")
        await catalog.add_to_lineup(session, merchant, live_show, product.id)
        await catalog.pin(session, merchant, live_show, product.id)
    return LiveSale(merchant, shopper, show, product)

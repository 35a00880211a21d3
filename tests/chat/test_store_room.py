"""The store's staff room: the orders page hears its store's paid orders; only the
store's own merchant and operators may join it (orders carry names and addresses)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import update

from server import keys
from server.accounts.models import AccountStatus, Role, User
from server.events import ChatCommand, ChatEvent, LiveEvent
from tests.chat.conftest import ChatClient, Connect
from tests.helpers import make_merchant, make_user


async def _follow(client: ChatClient, store_id: int) -> str:
    """What the server answered: followed, or the refusal's code."""
    after = len(client.received)
    await client.emit(ChatCommand.FOLLOW_STORE, {"store_id": store_id})
    await _either(client, after)
    name, data = next(
        (n, d)
        for n, d in client.received[after:]
        if n in (ChatEvent.STORE_FOLLOWED, ChatEvent.ERROR)
    )
    return "followed" if name == ChatEvent.STORE_FOLLOWED else str(data["code"])


async def _either(client: ChatClient, after: int) -> None:
    done = [
        asyncio.ensure_future(client.wait_for(ChatEvent.STORE_FOLLOWED, after=after)),
        asyncio.ensure_future(client.wait_for(ChatEvent.ERROR, after=after)),
    ]
    _, pending = await asyncio.wait(done, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()


async def test_only_the_stores_merchant_and_operators_hear_its_orders(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app, "할매 반찬가게")
    rival, _ = await make_merchant(app, "옆집 반찬가게")
    operator = await make_user(app, Role.OPERATOR)
    shopper = await make_user(app, Role.SHOPPER)

    own = await connect(merchant)
    ops = await connect(operator)
    other = await connect(rival)
    buyer = await connect(shopper)
    nobody = await connect()
    assert await _follow(own, store.id) == "followed"
    assert await _follow(ops, store.id) == "followed"
    assert await _follow(other, store.id) == "not_store_staff"
    assert await _follow(buyer, store.id) == "not_store_staff"
    assert await _follow(nobody, store.id) == "not_store_staff"

    await app[keys.chat_hub].publish_to_store(store.id, LiveEvent.ORDER_PAID, {"order_id": 7})
    await own.wait_for(LiveEvent.ORDER_PAID, lambda d: d["order_id"] == 7)
    await ops.wait_for(LiveEvent.ORDER_PAID, lambda d: d["order_id"] == 7)
    await asyncio.sleep(0.3)  # time enough for a wrong delivery to arrive too
    for outsider in (other, buyer, nobody):
        assert outsider.events(LiveEvent.ORDER_PAID) == []


async def test_a_merchant_suspended_after_connecting_is_refused(
    app: web.Application, connect: Connect
) -> None:
    merchant, store = await make_merchant(app)
    client = await connect(merchant)
    async with app[keys.sessionmaker].begin() as session:
        await session.execute(
            update(User).where(User.id == merchant.id).values(status=AccountStatus.SUSPENDED)
        )
    assert await _follow(client, store.id) == "not_store_staff"


async def test_a_bad_follow_payload_is_refused_in_words(
    connect: Connect, app: web.Application
) -> None:
    merchant, _ = await make_merchant(app)
    client = await connect(merchant)
    await client.emit(ChatCommand.FOLLOW_STORE, {"store_id": "one"})
    error = await client.error()
    assert error["code"] == "bad_payload" and error["message"]

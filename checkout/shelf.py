"""The show's shelf: its line-up, the pinned product and flash sales, changed by the
show's presenters (creators, its merchant, operators) and announced to its viewers.

These are the steps the studio's buttons take, and the ones the crew's cue sheet runs
through the same `Checkout` service.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import catalog
from checkout.announce import Announcer
from checkout.models import FlashSale, Product
from server.accounts.models import User
from server.shows import service as shows
from server.shows.models import Show


@dataclass(frozen=True)
class ShelfState:
    """What viewers see: the pinned product, a sale running on it, the line-up."""

    show_state: str
    pinned: Product | None
    sale: FlashSale | None
    lineup: list[Product]


@dataclass(frozen=True)
class SaleInput:
    """A flash sale as asked for; bounds are checked against the product."""

    product_id: int
    price: object
    cap: object
    minutes: object
    per_shopper: object = 1


class Shelf:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], announcer: Announcer
    ) -> None:
        self._db = sessionmaker
        self._announce = announcer

    async def state(self, show_id: int) -> ShelfState:
        async with self._db() as session:
            return await self._state(session, await shows.get_show(session, show_id))

    async def _state(self, session: AsyncSession, show: Show) -> ShelfState:
        items = await catalog.lineup(session, show.id)
        pinned = next((i.product for i in items if i.pinned_at is not None), None)
        sale = await catalog.running_sale(session, show.id, pinned.id) if pinned else None
        return ShelfState(show.state.value, pinned, sale, [i.product for i in items])

    async def presenting(self, user: User, show_id: int) -> Show:
        """The show, if `user` presents it; raises NotPresenter (or ShowNotFound)."""
        async with self._db() as session:
            show = await shows.get_show(session, show_id)
        catalog.check_presenter(user, show)
        return show

    async def add(self, user: User, show_id: int, product_id: int) -> ShelfState:
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            await catalog.add_to_lineup(session, user, show, product_id)
            return await self._state(session, show)

    async def pin(self, user: User, show_id: int, product_id: int) -> ShelfState:
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            await catalog.pin(session, user, show, product_id)
            state = await self._state(session, show)
        await self._announce.pinned(show_id, state.pinned, state.sale)
        return state

    async def unpin(self, user: User, show_id: int) -> ShelfState:
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            await catalog.unpin(session, user, show)
            state = await self._state(session, show)
        await self._announce.unpinned(show_id)
        return state

    async def start_sale(self, user: User, show_id: int, wanted: SaleInput) -> ShelfState:
        """Pin the product and start a flash sale on it (ending any other running one)."""
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            sale = await catalog.start_sale(
                session,
                user,
                show,
                product_id=wanted.product_id,
                price=wanted.price,
                cap=wanted.cap,
                minutes=wanted.minutes,
                per_shopper=wanted.per_shopper,
            )
            state = await self._state(session, show)
        await self._announce.pinned(show_id, state.pinned, state.sale)
        await self._announce.sale_started(sale)
        return state

    async def end_sale(self, user: User, show_id: int) -> ShelfState:
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            ended = await catalog.end_sale(session, user, show)
            state = await self._state(session, show)
        for sale in ended:
            await self._announce.sale_ended(sale)
        return state

    async def quick_listing(
        self, user: User, show_id: int, data: catalog.ProductInput, image: str | None
    ) -> ShelfState:
        """Make a product during the show, put it in the line-up and pin it, in one step."""
        async with self._db.begin() as session:
            show = await shows.get_show(session, show_id)
            product = await catalog.create_product(
                session, user, show.store_id, data, image, during=show
            )
            await catalog.add_to_lineup(session, user, show, product.id)
            await catalog.pin(session, user, show, product.id)
            state = await self._state(session, show)
        await self._announce.pinned(show_id, state.pinned, None)
        return state

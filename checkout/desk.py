"""The counter: products and orders as merchants and shoppers read and change them
(everything but buying, paying and the shelf). Who may see or change what is checked
here, next to the data, so every caller gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import catalog, orders
from checkout.errors import OrderNotFound
from checkout.models import Order, Product
from server.accounts import service as accounts
from server.accounts.models import Store, User
from server.shows import service as shows
from server.shows.models import Show


@dataclass(frozen=True)
class Receipt:
    order: Order
    store: Store
    show: Show | None


class Desk:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._db = sessionmaker

    # --- products -----------------------------------------------------------------------

    async def product(self, product_id: int) -> Product:
        async with self._db() as session:
            return await catalog.get_product(session, product_id)

    async def product_and_store(self, product_id: int) -> tuple[Product, Store]:
        async with self._db() as session:
            product = await catalog.get_product(session, product_id)
            return product, await accounts.get_store(session, product.store_id)

    async def product_to_edit(self, user: User, product_id: int) -> Product:
        product = await self.product(product_id)
        catalog.check_store(user, product.store_id)
        return product

    async def products_of_store(self, store_id: int) -> list[Product]:
        async with self._db() as session:
            return await catalog.products_of_store(session, store_id)

    async def store_and_products(self, store_id: int) -> tuple[Store, list[Product]]:
        async with self._db() as session:
            store = await accounts.get_store(session, store_id)
            return store, await catalog.products_of_store(session, store_id)

    async def create_product(
        self, user: User, store_id: int, data: catalog.ProductInput, image: str | None = None
    ) -> Product:
        catalog.check_store(user, store_id)
        async with self._db.begin() as session:
            return await catalog.create_product(session, user, store_id, data, image)

    async def update_product(
        self, user: User, product_id: int, data: catalog.ProductInput, image: str | None = None
    ) -> Product:
        async with self._db.begin() as session:
            product = await catalog.get_product(session, product_id)
            catalog.check_store(user, product.store_id)
            return await catalog.update_product(session, user, product, data, image)

    # --- orders -------------------------------------------------------------------------

    async def order_of_shopper(self, user: User, order_id: int) -> Order:
        async with self._db() as session:
            return await orders.order_of_shopper(session, user, order_id)

    async def order_of_store(self, user: User, order_id: int) -> Order:
        async with self._db() as session:
            return await orders.order_of_store(session, user, order_id)

    async def orders_of_shopper(self, user: User) -> list[Order]:
        async with self._db() as session:
            return await orders.orders_of_user(session, user.id)

    async def store_names(self, store_ids: set[int]) -> dict[int, str]:
        async with self._db() as session:
            rows = await session.execute(
                select(Store.id, Store.name).where(Store.id.in_(store_ids))
            )
            return {store_id: name for store_id, name in rows}

    async def store_orders(self, store_id: int, status: str = "") -> tuple[Store, list[Order]]:
        async with self._db() as session:
            store = await accounts.get_store(session, store_id)
            return store, await orders.orders_of_store(session, store_id, status=status)

    async def sales_of_show(self, user: User, show_id: int) -> list[tuple[Order, str]]:
        """The show's paid orders, newest first, with each buyer's name (the studio's
        feed); for the show's presenters only."""
        async with self._db() as session:
            show = await shows.get_show(session, show_id)
            catalog.check_presenter(user, show)
            found = await orders.orders_of_store(session, show.store_id, show_id=show.id)
            paid = [o for o in found if o.paid_at is not None]
            rows = await session.execute(
                select(User.id, User.display_name).where(User.id.in_({o.user_id for o in paid}))
            )
            names = {user_id: name for user_id, name in rows}
        return [(o, names.get(o.user_id, "")) for o in paid]

    async def advance_order(
        self, user: User, order_id: int, status: str, tracking_number: str = ""
    ) -> Order:
        """The merchant moves an order on: preparing, shipped (with tracking), delivered."""
        async with self._db.begin() as session:
            order = await orders.order_of_store(session, user, order_id)
            return await orders.advance(session, user, order, status, tracking_number)

    async def receipt(self, user: User, order_id: int) -> Receipt:
        """An order's receipt, for its shopper and the store's people."""
        async with self._db() as session:
            order = await orders.get_order(session, order_id)
            if order.user_id != user.id and not catalog.can_manage_store(user, order.store_id):
                raise OrderNotFound(order_id=order_id)
            store = await accounts.get_store(session, order.store_id)
            show = await shows.get_show(session, order.show_id) if order.show_id else None
        return Receipt(order, store, show)

"""`Checkout`: the one entry point of the checkout domain, free of the web layer.

Made at start-up by the app factory (`server/app.py`, `_checkout`) from the
sessionmaker, the payment gateway, the live-event publisher, `CheckoutConfig` and the
store publisher (chat's hub: the orders page hears paid orders); views
parse a request, call one method and render what it returns. Other domains (the crew's
cue sheet) pin products and start flash sales through the same methods.

The work is done by small collaborators, each in its own module: `Desk` (products and
orders for merchants and shoppers), `Shelf` (line-up, pin, flash sales), reserving
(`reserving.place_order`, written in shared transactions by `GroupCommit`),
`Paying` (pay, give up, refund),
`PaymentEvents` (Stripe's webhook, a handler table), `Sweeper` (expiry, ended sales,
the start-up reconciliation), `Settlement` (a payment's outcome applied to its order)
and `Announcer` (what viewers hear).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout import catalog, orders, reserving
from checkout.announce import Announcer
from checkout.config import CheckoutConfig
from checkout.desk import Desk, Receipt
from checkout.errors import SoldOut
from checkout.group_commit import GroupCommit
from checkout.models import Order, Product
from checkout.paying import Paying, Payment
from checkout.payment_events import PaymentEvents
from checkout.payments import PaymentGateway
from checkout.reserving import LineRequest, Shipping
from checkout.settling import Settlement
from checkout.shelf import SaleInput, Shelf, ShelfState
from checkout.soldout import SoldOutMemo
from checkout.sweeping import Reconciled, Sweeper
from server.accounts.models import Store, User
from server.events import EventPublisher, NoStorePublisher, StorePublisher
from server.shows.models import Show


class Checkout:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: PaymentGateway,
        publisher: EventPublisher,
        config: CheckoutConfig,
        store_publisher: StorePublisher | None = None,
    ) -> None:
        self._db = sessionmaker
        self._config = config
        # A short memory of what just sold out: the crowd still tapping "buy" after the
        # last unit is answered without a database round trip.
        self._sold_out = SoldOutMemo()
        # Reservations share write transactions (checkout/group_commit.py).
        self._reservations: GroupCommit[reserving.Reservation] = GroupCommit(sessionmaker)
        announcer = Announcer(publisher, store_publisher or NoStorePublisher(), self._sold_out)
        settlement = Settlement(sessionmaker, gateway, announcer)
        self._announce = announcer
        self._desk = Desk(sessionmaker)
        self._shelf = Shelf(sessionmaker, announcer)
        self._paying = Paying(sessionmaker, gateway, settlement)
        self._events = PaymentEvents(sessionmaker, gateway, settlement)
        self._sweeper = Sweeper(sessionmaker, gateway, settlement, announcer, config.claim_timeout)

    @property
    def sweep_every_seconds(self) -> float:
        return self._config.sweep_every_seconds

    # --- products and orders (merchants, shoppers) ----------------------------------------

    async def product(self, product_id: int) -> Product:
        return await self._desk.product(product_id)

    async def product_and_store(self, product_id: int) -> tuple[Product, Store]:
        return await self._desk.product_and_store(product_id)

    async def product_to_edit(self, user: User, product_id: int) -> Product:
        return await self._desk.product_to_edit(user, product_id)

    async def products_of_store(self, store_id: int) -> list[Product]:
        return await self._desk.products_of_store(store_id)

    async def store_and_products(self, store_id: int) -> tuple[Store, list[Product]]:
        return await self._desk.store_and_products(store_id)

    async def create_product(
        self, user: User, store_id: int, data: catalog.ProductInput, image: str | None = None
    ) -> Product:
        return await self._desk.create_product(user, store_id, data, image)

    async def update_product(
        self, user: User, product_id: int, data: catalog.ProductInput, image: str | None = None
    ) -> Product:
        return await self._desk.update_product(user, product_id, data, image)

    async def order_of_shopper(self, user: User, order_id: int) -> Order:
        return await self._desk.order_of_shopper(user, order_id)

    async def order_of_store(self, user: User, order_id: int) -> Order:
        return await self._desk.order_of_store(user, order_id)

    async def orders_of_shopper(self, user: User) -> list[Order]:
        return await self._desk.orders_of_shopper(user)

    async def store_names(self, store_ids: set[int]) -> dict[int, str]:
        """Store names by id (a shopper's order cards say where they bought)."""
        return await self._desk.store_names(store_ids)

    async def store_orders(self, store_id: int, status: str = "") -> tuple[Store, list[Order]]:
        return await self._desk.store_orders(store_id, status)

    async def sales_of_show(self, user: User, show_id: int) -> list[tuple[Order, str]]:
        """The show's paid orders with each buyer's name, for its presenters."""
        return await self._desk.sales_of_show(user, show_id)

    async def advance_order(
        self, user: User, order_id: int, status: str, tracking_number: str = ""
    ) -> Order:
        return await self._desk.advance_order(user, order_id, status, tracking_number)

    async def receipt(self, user: User, order_id: int) -> Receipt:
        return await self._desk.receipt(user, order_id)

    # --- the shelf (presenters) -------------------------------------------------------------

    async def shelf(self, show_id: int) -> ShelfState:
        return await self._shelf.state(show_id)

    async def presenting(self, user: User, show_id: int) -> Show:
        """The show, if `user` may present it (NotPresenter otherwise)."""
        return await self._shelf.presenting(user, show_id)

    async def add_to_lineup(self, user: User, show_id: int, product_id: int) -> ShelfState:
        return await self._shelf.add(user, show_id, product_id)

    async def pin(self, user: User, show_id: int, product_id: int) -> ShelfState:
        return await self._shelf.pin(user, show_id, product_id)

    async def unpin(self, user: User, show_id: int) -> ShelfState:
        return await self._shelf.unpin(user, show_id)

    async def start_sale(self, user: User, show_id: int, sale: SaleInput) -> ShelfState:
        return await self._shelf.start_sale(user, show_id, sale)

    async def end_sale(self, user: User, show_id: int) -> ShelfState:
        return await self._shelf.end_sale(user, show_id)

    async def quick_listing(
        self, user: User, show_id: int, data: catalog.ProductInput, image: str | None
    ) -> ShelfState:
        return await self._shelf.quick_listing(user, show_id, data, image)

    # --- buying (shoppers) ------------------------------------------------------------------

    async def place_order(
        self,
        user: User,
        show_id: int,
        lines: Sequence[LineRequest],
        shipping: Shipping,
        request_key: str | None = None,
    ) -> Order:
        """Reserve the stock and create the pending order to pay (or, for a request key
        seen before from this shopper, answer the order it made)."""
        self._check_memo(show_id, lines)

        def not_sold_out_meanwhile() -> None:
            # While this shopper queued, the last unit may have gone: the first one
            # refused fills the memory, and the rest of the queue is answered from it.
            self._check_memo(show_id, lines)

        async def reserve(session: AsyncSession) -> reserving.Reservation:
            try:
                return await reserving.place_order(
                    session, user, show_id, lines, shipping, self._config.hold, request_key
                )
            except SoldOut as exc:
                self._remember(show_id, exc)
                raise

        reservation = await self._reservations.run(reserve, not_sold_out_meanwhile)
        await self._announce.stock(show_id, reservation.news)
        return reservation.order

    def _check_memo(self, show_id: int, lines: Sequence[LineRequest]) -> None:
        for line in lines:
            name = self._sold_out.sold_out_name(show_id, line.product_id)
            if name is not None:
                raise SoldOut(name=name)

    def _remember(self, show_id: int, exc: SoldOut) -> None:
        if exc.params.get("whole"):  # no unit of any option: remember for a moment
            self._sold_out.remember(show_id, int(exc.params["product_id"]), str(exc.params["name"]))

    async def pay(self, user: User, order_id: int, card_token: str) -> Payment:
        return await self._paying.pay(user, order_id, card_token)

    async def give_up(self, user: User, order_id: int) -> Order:
        return await self._paying.give_up(user, order_id)

    # --- merchants, Stripe, the clock -------------------------------------------------------

    async def refund(
        self, actor: User, order_id: int, amount: object, note: str = orders.NOTE_MERCHANT_REFUND
    ) -> Order:
        return await self._paying.refund(actor, order_id, amount, note)

    async def handle_event(self, event: dict[str, Any]) -> str:
        """Apply one verified Stripe event exactly once; returns what happened."""
        return await self._events.handle(event)

    async def sweep(self) -> None:
        """One round of the background sweeper."""
        await self._sweeper.one_round()

    async def sweep_once(self) -> int:
        """Release expired reservations; returns how many were released."""
        return await self._sweeper.sweep_once()

    async def announce_ended_sales(self, since: dt.datetime, until: dt.datetime) -> int:
        return await self._sweeper.announce_ended_sales(since, until)

    async def reconcile(self) -> Reconciled:
        """At start-up: complete or release the payments a crash left without outcome."""
        return await self._sweeper.reconcile()

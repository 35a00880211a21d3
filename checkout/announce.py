"""What live viewers hear from checkout, published through the bus the factory gave it.

Called after the transaction that made the change has committed: a subscriber (the
analytics journal) may write to the database itself, and on SQLite an open write
transaction would hold the lock it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checkout import live
from checkout.models import FlashSale, Order, Product
from checkout.soldout import SoldOutMemo
from checkout.stock import StockNews
from server.db import utcnow
from server.events import EventPublisher, LiveEvent, StorePublisher


class Announcer:
    def __init__(self, bus: EventPublisher, store: StorePublisher, sold_out: SoldOutMemo) -> None:
        self._bus = bus
        self._store = store
        self._sold_out = sold_out

    async def publish(self, show_id: int | None, event: LiveEvent, payload: dict[str, Any]) -> None:
        if show_id is None:
            return
        # Every payload carries the server's clock: pages count down against it.
        await self._bus.publish(show_id, event, {"server_time": utcnow().isoformat(), **payload})

    async def stock(self, show_id: int | None, news: Iterable[StockNews]) -> None:
        """Units changed (an order placed, a reservation released). A `product:sold_out`
        here is the moment it sold out, not a repeat: the journal keeps each one."""
        for item in news:
            if not item.sold_out:  # units may have come back
                self._sold_out.forget(item.product_id)
            await self.publish(
                show_id,
                LiveEvent.STOCK_CHANGED,
                {
                    "product_id": item.product_id,
                    "available": item.available,
                    "sale": live.sale_json(item.sale) if item.sale else None,
                },
            )
            if item.sold_out:
                await self.publish(
                    show_id, LiveEvent.PRODUCT_SOLD_OUT, {"product_id": item.product_id}
                )

    async def paid(self, order: Order, buyer_name: str) -> None:
        """A sale: the units were taken when the order was placed, so no stock news. The
        show's room hears it (the studio's feed), and so does the store's staff room
        (its orders page), whether or not the order came from a show."""
        feed = live.feed_json(order, buyer_name)
        await self.publish(order.show_id, LiveEvent.ORDER_PAID, feed)
        await self._store.publish_to_store(
            order.store_id,
            LiveEvent.ORDER_PAID,
            {"server_time": utcnow().isoformat(), "show_id": order.show_id, **feed},
        )

    async def pinned(self, show_id: int, product: Product | None, sale: FlashSale | None) -> None:
        await self.publish(
            show_id,
            LiveEvent.PRODUCT_PINNED,
            {
                "product": live.product_json(product) if product else None,
                "sale": live.sale_json(sale) if sale else None,
            },
        )

    async def unpinned(self, show_id: int) -> None:
        await self.publish(show_id, LiveEvent.PRODUCT_UNPINNED, {})

    async def sale_started(self, sale: FlashSale) -> None:
        await self.publish(sale.show_id, LiveEvent.SALE_STARTED, {"sale": live.sale_json(sale)})

    async def sale_ended(self, sale: FlashSale) -> None:
        self._sold_out.forget(sale.product_id)  # units left outside the sale are on sale
        await self.publish(
            sale.show_id, LiveEvent.SALE_ENDED, {"sale_id": sale.id, "product_id": sale.product_id}
        )

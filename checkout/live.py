"""The JSON shapes that live events, pages and the API share.

Event names are in server/events.py (documented in docs/events.md); checkout's
`Announcer` (checkout/announce.py) publishes them through the bus it was given.
"""

from __future__ import annotations

from typing import Any

from checkout.models import FlashSale, Order, Product
from server.db import utcnow
from server.i18n import format_krw
from server.media import thumb_path


def product_json(product: Product) -> dict[str, Any]:
    """Needs `variants` loaded."""
    return {
        "id": product.id,
        "store_id": product.store_id,
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "price_text": format_krw(product.price),
        "currency": product.currency,
        "available": product.available,
        "per_order_limit": product.per_order_limit,
        "image_url": f"/media/{product.image_path}" if product.image_path else None,
        "thumb_url": f"/media/{thumb_path(product.image_path)}" if product.image_path else None,
        "variants": [{"id": v.id, "name": v.name, "available": v.stock} for v in product.variants],
        "url": f"/products/{product.id}",
    }


def sale_json(sale: FlashSale) -> dict[str, Any]:
    return {
        "id": sale.id,
        "product_id": sale.product_id,
        "price": sale.price,
        "price_text": format_krw(sale.price),
        "cap": sale.cap,
        "remaining": sale.cap - sale.claimed,
        "per_shopper": sale.per_shopper,
        "ends_at": sale.ends_at.isoformat(),
    }


def order_json(order: Order) -> dict[str, Any]:
    """Needs `lines` and `refunds` loaded."""
    return {
        "id": order.id,
        "status": order.status.value,
        "total": order.total,
        "total_text": format_krw(order.total),
        "currency": order.currency,
        "refunded_amount": order.refunded_amount,
        "show_id": order.show_id,
        "reserved_until": order.reserved_until.isoformat(),
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "tracking_number": order.tracking_number,
        "lines": [
            {
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "product_name": line.product_name,
                "variant_name": line.variant_name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in order.lines
        ],
        "url": f"/orders/{order.id}",
    }


def masked(name: str) -> str:
    """A buyer's name for the public feed: first letter and stars (민** for 민수진)."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else "*"


def feed_json(order: Order, buyer_name: str) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "total": order.total,
        "total_text": format_krw(order.total),
        "buyer": masked(buyer_name),
        "items": [
            {"name": line.product_name, "variant": line.variant_name, "quantity": line.quantity}
            for line in order.lines
        ],
        "paid_at": (order.paid_at or utcnow()).isoformat(),
    }

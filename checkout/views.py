"""The checkout JSON API: line-up and live selling for presenters, buying for shoppers,
orders and refunds for merchants, and the Stripe webhook."""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from checkout import catalog, live, reserving
from checkout.errors import BadCheckoutInput
from checkout.payments import WEBHOOK_PATH
from checkout.shelf import SaleInput, ShelfState
from server import keys
from server.db import utcnow
from server.errors import N_
from server.http import json_response, read_json, require_user
from server.inputs import WrongType, route_id, strict_id, strict_int, strict_text
from server.media import save_image
from server.openapi import documented
from server.security import csrf_exempt

routes = web.RouteTableDef()
log = logging.getLogger("jangteo.checkout")
TAGS = ("checkout",)
PRESENTER = "a creator of the show, its merchant or an operator"

ITEMS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": reserving.MAX_LINES,
    "items": {
        "type": "object",
        "properties": {
            "product_id": {"type": "integer"},
            "variant_id": {"type": ["integer", "null"]},
            "quantity": {"type": "integer", "minimum": 1},
        },
        "required": ["product_id", "quantity"],
    },
}
ORDER_INPUT = {
    "type": "object",
    "description": "Prices and totals sent by the client are ignored.",
    "properties": {
        "items": ITEMS_SCHEMA,
        "name": {"type": "string"},
        "phone": {"type": "string"},
        "postcode": {"type": "string", "pattern": "^[0-9]{5}$"},
        "address": {"type": "string"},
        "address_detail": {"type": "string"},
    },
    "required": ["items", "name", "phone", "postcode", "address"],
}
PRODUCT_INPUT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "price": {"type": "integer", "minimum": 1},
        "stock": {"type": "integer", "minimum": 0},
        "per_order_limit": {"type": "integer", "minimum": 1},
        "variants": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "stock": {"type": "integer"}},
            },
        },
    },
    "required": ["name", "price"],
}
OBJECT = {"type": "object"}


def _int_param(request: web.Request, name: str) -> int:
    return route_id(request, name)


def _product_input(data: dict[str, Any]) -> catalog.ProductInput:
    raw_variants = data.get("variants") or []
    if not isinstance(raw_variants, list):
        raise BadCheckoutInput(N_("Options must be a list."), field="variants")
    if not all(isinstance(v, dict) for v in raw_variants):
        raise WrongType(N_("Options must be a list."), field="variants")
    variants = tuple(
        (
            strict_text(v, "name"),
            strict_int(v.get("stock", 0), "variants", 0, catalog.MAX_STOCK),
        )
        for v in raw_variants
    )
    return catalog.ProductInput(
        name=strict_text(data, "name"),
        description=strict_text(data, "description"),
        price=strict_int(data.get("price"), "price", 1, catalog.MAX_PRICE),
        stock=strict_int(data.get("stock", 0), "stock", 0, catalog.MAX_STOCK),
        per_order_limit=strict_int(
            data.get("per_order_limit", 10), "per_order_limit", 1, catalog.MAX_PER_ORDER
        ),
        variants=variants,
    )


# --- catalog -----------------------------------------------------------------------------


@routes.get("/api/stores/{store_id:\\d+}/products")
@documented("A store's products", tags=TAGS, response_schema={"type": "array"})
async def list_products(request: web.Request) -> web.Response:
    products = await request.app[keys.checkout].products_of_store(_int_param(request, "store_id"))
    return json_response([live.product_json(p) for p in products])


@routes.post("/api/stores/{store_id:\\d+}/products")
@documented(
    "Create a product",
    tags=TAGS,
    request_body=PRODUCT_INPUT,
    response_schema=OBJECT,
    responses={201: "Created", 403: "Not this store's merchant", 422: "Bad input"},
    auth="the store's merchant or an operator",
)
async def create_product(request: web.Request) -> web.Response:
    user = require_user(request)
    data = _product_input(await read_json(request))
    product = await request.app[keys.checkout].create_product(
        user, _int_param(request, "store_id"), data
    )
    return json_response(live.product_json(product), status=201)


@routes.get("/api/products/{product_id:\\d+}")
@documented(
    "One product", tags=TAGS, response_schema=OBJECT, responses={200: "OK", 404: "No such product"}
)
async def get_product(request: web.Request) -> web.Response:
    product = await request.app[keys.checkout].product(_int_param(request, "product_id"))
    return json_response(live.product_json(product))


@routes.put("/api/products/{product_id:\\d+}")
@documented(
    "Edit a product",
    tags=TAGS,
    request_body=PRODUCT_INPUT,
    response_schema=OBJECT,
    responses={200: "OK", 403: "Not this store's merchant", 422: "Bad input"},
    auth="the store's merchant or an operator",
)
async def update_product(request: web.Request) -> web.Response:
    user = require_user(request)
    data = _product_input(await read_json(request))
    product = await request.app[keys.checkout].update_product(
        user, _int_param(request, "product_id"), data
    )
    return json_response(live.product_json(product))


# --- the show's shelf ----------------------------------------------------------------------


def _shelf_json(state: ShelfState) -> dict[str, Any]:
    return {
        "server_time": utcnow().isoformat(),
        "show_state": state.show_state,
        "pinned": live.product_json(state.pinned) if state.pinned else None,
        "sale": live.sale_json(state.sale) if state.sale else None,
        "lineup": [live.product_json(p) for p in state.lineup],
    }


def _product_id(data: dict[str, Any]) -> int:
    return strict_id(data.get("product_id"), "product_id")


@routes.get("/api/shows/{show_id:\\d+}/shelf")
@documented(
    "What viewers see: the pinned product, a running flash sale, the line-up and "
    "the server time (clients count down against it)",
    tags=TAGS,
    response_schema=OBJECT,
)
async def shelf(request: web.Request) -> web.Response:
    state = await request.app[keys.checkout].shelf(_int_param(request, "show_id"))
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/lineup")
@documented(
    "Add a product to the show's line-up",
    tags=TAGS,
    auth=PRESENTER,
    request_body={"type": "object", "properties": {"product_id": {"type": "integer"}}},
    responses={200: "OK", 403: "Not a presenter", 422: "Bad input"},
)
async def add_lineup(request: web.Request) -> web.Response:
    user = require_user(request)
    product_id = _product_id(await read_json(request))
    checkout = request.app[keys.checkout]
    state = await checkout.add_to_lineup(user, _int_param(request, "show_id"), product_id)
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/pin")
@documented(
    "Pin a line-up product over the video for every viewer",
    tags=TAGS,
    auth=PRESENTER,
    request_body={"type": "object", "properties": {"product_id": {"type": "integer"}}},
    responses={200: "OK", 403: "Not a presenter", 422: "Not in the line-up"},
)
async def pin(request: web.Request) -> web.Response:
    user = require_user(request)
    product_id = _product_id(await read_json(request))
    state = await request.app[keys.checkout].pin(user, _int_param(request, "show_id"), product_id)
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/unpin")
@documented(
    "Take the pinned product off the video",
    tags=TAGS,
    auth=PRESENTER,
    responses={200: "OK", 403: "Not a presenter"},
)
async def unpin(request: web.Request) -> web.Response:
    user = require_user(request)
    state = await request.app[keys.checkout].unpin(user, _int_param(request, "show_id"))
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/sale")
@documented(
    "Start a flash sale on a line-up product (pins it)",
    tags=TAGS,
    auth=PRESENTER,
    request_body={
        "type": "object",
        "properties": {
            "product_id": {"type": "integer"},
            "price": {"type": "integer"},
            "cap": {"type": "integer"},
            "minutes": {"type": "integer"},
            "per_shopper": {"type": "integer"},
        },
    },
    responses={200: "OK", 403: "Not a presenter", 422: "Bad input"},
)
async def start_sale(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    # Types here; the bounds that depend on the product are the catalog's.
    sale = SaleInput(
        product_id=_product_id(data),
        price=strict_int(data.get("price"), "price", 1, catalog.MAX_PRICE),
        cap=strict_int(data.get("cap"), "cap", 1, catalog.MAX_STOCK),
        minutes=strict_int(data.get("minutes"), "minutes", 1, catalog.MAX_SALE_MINUTES),
        per_shopper=strict_int(data.get("per_shopper", 1), "per_shopper", 1, catalog.MAX_PER_ORDER),
    )
    state = await request.app[keys.checkout].start_sale(user, _int_param(request, "show_id"), sale)
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/sale/end")
@documented(
    "End the running flash sale now",
    tags=TAGS,
    auth=PRESENTER,
    responses={200: "OK", 403: "Not a presenter"},
)
async def end_sale(request: web.Request) -> web.Response:
    user = require_user(request)
    state = await request.app[keys.checkout].end_sale(user, _int_param(request, "show_id"))
    return json_response(_shelf_json(state))


@routes.post("/api/shows/{show_id:\\d+}/quick-listing")
@documented(
    "Make a product during the show (multipart: name, price, stock, photo) and pin it in one step",
    tags=TAGS,
    auth=PRESENTER,
    responses={201: "Created and pinned", 403: "Not a presenter", 422: "Bad input"},
)
async def quick_listing(request: web.Request) -> web.Response:
    user = require_user(request)
    checkout = request.app[keys.checkout]
    show_id = _int_param(request, "show_id")
    # Checked before the photo is stored: no one else's upload touches the disk.
    await checkout.presenting(user, show_id)
    form = await request.post()
    photo = form.get("photo")
    image = None
    if isinstance(photo, FileField) and photo.filename:
        image = await save_image(
            request.app[keys.settings].data_dir, photo.file.read(), "products", field="photo"
        )
    data = catalog.ProductInput(
        name=str(form.get("name", "")),
        price=catalog.parse_int(form.get("price"), "price", 1, catalog.MAX_PRICE),
        stock=catalog.parse_int(form.get("stock"), "stock", 0, catalog.MAX_STOCK),
    )
    state = await checkout.quick_listing(user, show_id, data, image)
    return json_response(_shelf_json(state), status=201)


# --- buying ------------------------------------------------------------------------------


def _lines(data: dict[str, Any]) -> list[reserving.LineRequest]:
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= reserving.MAX_LINES:
        raise BadCheckoutInput(
            N_("An order has 1 to %(max)d items."), field="items", max=reserving.MAX_LINES
        )
    lines = []
    for item in items:
        if not isinstance(item, dict):
            raise BadCheckoutInput(
                N_("An order has 1 to %(max)d items."), field="items", max=reserving.MAX_LINES
            )
        variant = item.get("variant_id")
        lines.append(
            reserving.LineRequest(
                product_id=strict_id(item.get("product_id"), "product_id"),
                # Bounds come later from the product's own per-order limit.
                quantity=strict_int(item.get("quantity"), "quantity", 1, catalog.MAX_PER_ORDER),
                variant_id=None if variant is None else strict_id(variant, "variant_id"),
            )
        )
    return lines


def _shipping(data: dict[str, Any]) -> reserving.Shipping:
    return reserving.Shipping(
        name=strict_text(data, "name"),
        phone=strict_text(data, "phone"),
        postcode=strict_text(data, "postcode"),
        address=strict_text(data, "address"),
        address_detail=strict_text(data, "address_detail"),
    )


@routes.post("/api/shows/{show_id:\\d+}/orders")
@documented(
    "Buy what is pinned: reserves the stock and returns the pending order to pay",
    tags=TAGS,
    request_body=ORDER_INPUT,
    response_schema=OBJECT,
    auth="signed in",
    responses={
        201: "Reserved",
        401: "Not signed in",
        409: "Sold out or not on sale",
        422: "Bad input",
    },
)
async def place_order(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    lines, shipping = _lines(data), _shipping(data)
    order = await request.app[keys.checkout].place_order(
        user, _int_param(request, "show_id"), lines, shipping, _request_key(data)
    )
    return json_response(live.order_json(order), status=201)


REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _request_key(data: dict[str, Any]) -> str | None:
    """The buying sheet's key for this purchase (optional): the same key again from the
    same shopper answers the order it made, so a double tap is one order."""
    key = data.get("request_key")
    if key is None:
        return None
    if not isinstance(key, str) or not REQUEST_KEY.fullmatch(key):
        raise BadCheckoutInput(
            N_("The request key must be 8 to 64 letters, digits, - or _."), field="request_key"
        )
    return key


@routes.post("/api/orders/{order_id:\\d+}/pay")
@documented(
    "Pay a pending order with a card token from Stripe.js; answers the order and, "
    "for 3-D Secure, the client secret to confirm",
    tags=TAGS,
    auth="the shopper",
    request_body={"type": "object", "properties": {"card_token": {"type": "string"}}},
    response_schema=OBJECT,
    responses={
        200: "Paid or needs action",
        402: "Declined",
        404: "No such order",
        409: "Not payable",
    },
)
async def pay(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    token = data.get("card_token")
    if not isinstance(token, str) or not token.startswith("tok_") or len(token) > 255:
        raise BadCheckoutInput(N_("Enter your card details."), field="card")
    payment = await request.app[keys.checkout].pay(user, _int_param(request, "order_id"), token)
    body = live.order_json(payment.order)
    secret = payment.client_secret_for_action
    if secret is not None:
        body["next_action"] = {"type": "confirm_card", "client_secret": secret}
    return json_response(body)


@routes.post("/api/orders/{order_id:\\d+}/cancel")
@documented(
    "Give up a pending order (closed sheet, failed 3-D Secure): frees the stock",
    tags=TAGS,
    auth="the shopper",
    response_schema=OBJECT,
    responses={200: "OK", 404: "No such order"},
)
async def cancel(request: web.Request) -> web.Response:
    user = require_user(request)
    order = await request.app[keys.checkout].give_up(user, _int_param(request, "order_id"))
    return json_response(live.order_json(order))


@routes.get("/api/orders/{order_id:\\d+}")
@documented(
    "One of my orders",
    tags=TAGS,
    auth="the shopper",
    response_schema=OBJECT,
    responses={200: "OK", 404: "No such order"},
)
async def get_order(request: web.Request) -> web.Response:
    user = require_user(request)
    order = await request.app[keys.checkout].order_of_shopper(user, _int_param(request, "order_id"))
    return json_response(live.order_json(order))


@routes.get("/api/orders")
@documented(
    "My orders, newest first", tags=TAGS, auth="signed in", response_schema={"type": "array"}
)
async def my_orders(request: web.Request) -> web.Response:
    user = require_user(request)
    mine = await request.app[keys.checkout].orders_of_shopper(user)
    return json_response([live.order_json(o) for o in mine])


# --- merchant side -------------------------------------------------------------------------


@routes.get("/api/shows/{show_id:\\d+}/orders")
@documented(
    "The show's paid orders, newest first (the studio's live feed)",
    tags=TAGS,
    auth=PRESENTER,
    response_schema={"type": "array"},
)
async def show_orders(request: web.Request) -> web.Response:
    user = require_user(request)
    sales = await request.app[keys.checkout].sales_of_show(user, _int_param(request, "show_id"))
    return json_response([live.feed_json(order, buyer) for order, buyer in sales])


@routes.post("/api/merchant/orders/{order_id:\\d+}/status")
@documented(
    "Move an order on: preparing, shipped (with tracking number), delivered",
    tags=TAGS,
    auth="the store's merchant or an operator",
    response_schema=OBJECT,
    request_body={
        "type": "object",
        "properties": {"status": {"type": "string"}, "tracking_number": {"type": "string"}},
    },
    responses={200: "OK", 404: "No such order", 409: "Illegal move"},
)
async def order_status(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    order = await request.app[keys.checkout].advance_order(
        user,
        _int_param(request, "order_id"),
        strict_text(data, "status"),
        strict_text(data, "tracking_number"),
    )
    return json_response(live.order_json(order))


@routes.post("/api/merchant/orders/{order_id:\\d+}/refund")
@documented(
    "Refund all or part of a paid order through Stripe",
    tags=TAGS,
    auth="the store's merchant or an operator",
    response_schema=OBJECT,
    request_body={"type": "object", "properties": {"amount": {"type": "integer"}}},
    responses={200: "OK", 404: "No such order", 409: "Not paid", 422: "More than what is left"},
)
async def refund(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await read_json(request)
    order = await request.app[keys.checkout].refund(
        user,
        _int_param(request, "order_id"),
        strict_int(data.get("amount"), "amount", 1, catalog.MAX_PRICE),
    )
    return json_response(live.order_json(order))


# --- webhook -------------------------------------------------------------------------------


@routes.post(WEBHOOK_PATH)
@csrf_exempt
@documented(
    "Stripe events (signed with Stripe-Signature)",
    tags=TAGS,
    responses={
        200: "Handled or a duplicate",
        400: "Bad signature",
        404: "Unknown order",
        500: "Not applied, and not a duplicate: the cause is logged and Stripe sends it again",
    },
)
async def stripe_webhook(request: web.Request) -> web.Response:
    payload = await request.read()
    event = request.app[keys.payment_gateway].parse_event(
        payload, request.headers.get("Stripe-Signature", "")
    )
    # EventNotApplied (a 5xx) has its cause logged by the service: Stripe sends it again.
    outcome = await request.app[keys.checkout].handle_event(event)
    log.info("stripe event", extra={"event": event.get("id"), "outcome": outcome})
    return json_response({"received": True, "outcome": outcome})

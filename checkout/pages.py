"""Checkout pages: a product, the merchant's products and orders (with CSV export), the
shopper's order history and receipts."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from checkout import catalog, orders
from checkout.models import CATEGORY_LABELS
from server import keys
from server.accounts.models import Role, User
from server.csv_export import Cell, csv_response
from server.errors import N_, DomainError, Forbidden
from server.http import form_str, redirect, render, require_user, translations
from server.i18n import format_seoul
from server.limits import is_whole
from server.media import save_image

routes = web.RouteTableDef()
PRODUCT_FIELDS = (
    "name",
    "description",
    "price",
    "stock",
    "per_order_limit",
    "variants",
    "category",
)


def _store_id_of(user: User, request: web.Request) -> int:
    """The merchant's own store; an operator names one with ?store=."""
    if user.role is Role.MERCHANT and user.store_id is not None:
        return user.store_id
    raw = request.query.get("store", "")
    if user.role is Role.OPERATOR and is_whole(raw):
        return int(raw)
    raise Forbidden(N_("This page is for merchants only."))


def _suffix(user: User, store_id: int) -> str:
    return f"?store={store_id}" if user.role is Role.OPERATOR else ""


@routes.get("/products/{product_id:\\d+}", name="product")
async def product_page(request: web.Request) -> web.Response:
    checkout = request.app[keys.checkout]
    product, store = await checkout.product_and_store(int(request.match_info["product_id"]))
    return render(request, "checkout/product.html", {"product": product, "store": store})


# --- merchant: products --------------------------------------------------------------------


def _variants(raw: str) -> tuple[tuple[str, int], ...]:
    """One option a line, `name: stock` (e.g. `대: 3`)."""
    out = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        name, _, stock = line.rpartition(":")
        if not name:
            name, stock = stock, "0"
        out.append(
            (name.strip(), catalog.parse_int(stock.strip(), "variants", 0, catalog.MAX_STOCK))
        )
    return tuple(out)


def _product_form(form: Any) -> catalog.ProductInput:
    return catalog.ProductInput(
        name=form_str(form, "name"),
        description=form_str(form, "description"),
        price=catalog.parse_int(form_str(form, "price"), "price", 1, catalog.MAX_PRICE),
        stock=catalog.parse_int(form_str(form, "stock", "0") or "0", "stock", 0, catalog.MAX_STOCK),
        per_order_limit=catalog.parse_int(
            form_str(form, "per_order_limit", "10") or "10",
            "per_order_limit",
            1,
            catalog.MAX_PER_ORDER,
        ),
        variants=_variants(form_str(form, "variants")),
        category=form_str(form, "category"),
    )


async def _photo(request: web.Request, form: Any) -> str | None:
    photo = form.get("photo")
    if isinstance(photo, FileField) and photo.filename:
        return await save_image(
            request.app[keys.settings].data_dir, photo.file.read(), "products", field="photo"
        )
    return None


async def _products_page(
    request: web.Request,
    user: User,
    store_id: int,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    store, products = await request.app[keys.checkout].store_and_products(store_id)
    context = {
        "store": store,
        "products": products,
        "suffix": _suffix(user, store_id),
        "form": {},
        "edit": None,
        "categories": CATEGORY_LABELS,
    }
    context.update(extra or {})
    return render(request, "checkout/merchant_products.html", context, status=status)


@routes.get("/merchant/products", name="merchant_products")
async def merchant_products(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    return await _products_page(request, user, _store_id_of(user, request))


@routes.post("/merchant/products")
async def create_product(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = _store_id_of(user, request)
    form = await request.post()
    try:
        data = _product_form(form)
        image = await _photo(request, form)
        await request.app[keys.checkout].create_product(user, store_id, data, image)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        return await _products_page(
            request,
            user,
            store_id,
            {
                "error": exc.translate(translations(request).gettext),
                "form": {k: form_str(form, k) for k in PRODUCT_FIELDS},
            },
            status=exc.status,
        )
    return redirect(
        f"/merchant/products{_suffix(user, store_id)}"
        f"{'&' if _suffix(user, store_id) else '?'}flash=saved"
    )


@routes.get("/merchant/products/{product_id:\\d+}/edit", name="edit_product")
async def edit_product_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    checkout = request.app[keys.checkout]
    product = await checkout.product_to_edit(user, int(request.match_info["product_id"]))
    form = {
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "stock": product.stock,
        "per_order_limit": product.per_order_limit,
        "variants": "\n".join(f"{v.name}: {v.stock}" for v in product.variants),
        "category": product.category,
    }
    return await _products_page(request, user, product.store_id, {"form": form, "edit": product})


@routes.post("/merchant/products/{product_id:\\d+}/edit")
async def edit_product(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    checkout = request.app[keys.checkout]
    product = await checkout.product_to_edit(user, int(request.match_info["product_id"]))
    form = await request.post()
    try:
        await checkout.update_product(
            user, product.id, _product_form(form), await _photo(request, form)
        )
    except DomainError as exc:
        return await _products_page(
            request,
            user,
            product.store_id,
            {
                "error": exc.translate(translations(request).gettext),
                "edit": product,
                "form": {k: form_str(form, k) for k in PRODUCT_FIELDS},
            },
            status=exc.status,
        )
    suffix = _suffix(user, product.store_id)
    return redirect(f"/merchant/products{suffix}{'&' if suffix else '?'}flash=saved")


# --- merchant: orders ------------------------------------------------------------------------


async def _store_orders(request: web.Request) -> tuple[User, int, list[Any], Any]:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = _store_id_of(user, request)
    status = request.query.get("status", "")
    if status not in orders.STORE_STATES:
        status = ""
    store, found = await request.app[keys.checkout].store_orders(store_id, status)
    return user, store_id, found, store


@routes.get("/merchant/orders", name="merchant_orders")
async def merchant_orders(request: web.Request) -> web.Response:
    user, store_id, found, store = await _store_orders(request)
    return render(
        request,
        "checkout/merchant_orders.html",
        {
            "store": store,
            "orders": found,
            "statuses": orders.STORE_STATES,
            "status": request.query.get("status", ""),
            "suffix": _suffix(user, store_id),
            "error": request.query.get("error", ""),
        },
    )


@routes.get("/merchant/orders/{order_id:\\d+}/row", name="merchant_order_row")
async def merchant_order_row(request: web.Request) -> web.Response:
    """One row of the orders table, for the page that just heard the order was paid (its
    socket carries only the order's number; names and addresses come with the page's
    own sign-in and the same checks as the table)."""
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    order = await request.app[keys.checkout].order_of_store(
        user, int(request.match_info["order_id"])
    )
    return render(request, "checkout/_order_row.html", {"o": order})


@routes.get("/merchant/orders.csv", name="merchant_orders_csv")
async def merchant_orders_csv(request: web.Request) -> web.Response:
    _, _, found, store = await _store_orders(request)
    gettext = translations(request).gettext
    header = [
        gettext(h)
        for h in (
            N_("Order"),
            N_("Ordered at"),
            N_("Status"),
            N_("Items"),
            N_("Total (KRW)"),
            N_("Refunded (KRW)"),
            N_("Recipient"),
            N_("Phone"),
            N_("Postcode"),
            N_("Address"),
            N_("Tracking number"),
            N_("Show"),
        )
    ]
    locale = request.app[keys.settings].default_locale

    def row(order: Any) -> list[Cell]:
        items = "; ".join(
            f"{line.product_name} {line.variant_name} x{line.quantity}".replace("  ", " ")
            for line in order.lines
        )
        return [
            order.id,
            format_seoul(order.created_at, locale, "yyyy-MM-dd HH:mm"),
            gettext(order.status.value),
            items,
            order.total,
            order.refunded_amount,
            order.recipient_name,
            order.phone,
            order.postcode,
            f"{order.address} {order.address_detail}".strip(),
            order.tracking_number,
            order.show_id or "",
        ]

    return csv_response(f"orders-{store.slug}.csv", header, (row(o) for o in found))


@routes.post("/merchant/orders/{order_id:\\d+}/status")
async def order_status_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    form = await request.post()
    checkout = request.app[keys.checkout]
    # Read first: a refused move is answered on the store's own orders page.
    order = await checkout.order_of_store(user, int(request.match_info["order_id"]))
    try:
        await checkout.advance_order(
            user, order.id, form_str(form, "status"), form_str(form, "tracking_number")
        )
    except DomainError as exc:
        return await _orders_error(request, user, order.store_id, exc)
    return redirect(f"/merchant/orders{_suffix(user, order.store_id)}")


@routes.post("/merchant/orders/{order_id:\\d+}/refund")
async def refund_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    form = await request.post()
    checkout = request.app[keys.checkout]
    # Read first: a refused refund is answered on the store's own orders page.
    order = await checkout.order_of_store(user, int(request.match_info["order_id"]))
    try:
        await checkout.refund(user, order.id, form_str(form, "amount"))
    except DomainError as exc:
        return await _orders_error(request, user, order.store_id, exc)
    return redirect(f"/merchant/orders{_suffix(user, order.store_id)}")


async def _orders_error(
    request: web.Request, user: User, store_id: int, exc: DomainError
) -> web.Response:
    store, found = await request.app[keys.checkout].store_orders(store_id)
    return render(
        request,
        "checkout/merchant_orders.html",
        {
            "store": store,
            "orders": found,
            "statuses": orders.STORE_STATES,
            "status": "",
            "suffix": _suffix(user, store_id),
            "error": exc.translate(translations(request).gettext),
        },
        status=exc.status,
    )


# --- shopper: orders and receipts --------------------------------------------------------------


@routes.get("/orders", name="my_orders")
async def my_orders(request: web.Request) -> web.Response:
    user = require_user(request)
    checkout = request.app[keys.checkout]
    mine = await checkout.orders_of_shopper(user)
    stores = await checkout.store_names({o.store_id for o in mine})
    return render(request, "checkout/orders.html", {"orders": mine, "stores": stores})


@routes.get("/orders/{order_id:\\d+}", name="receipt")
async def receipt(request: web.Request) -> web.Response:
    user = require_user(request)
    found = await request.app[keys.checkout].receipt(user, int(request.match_info["order_id"]))
    return render(
        request,
        "checkout/receipt.html",
        {"order": found.order, "store": found.store, "show": found.show},
    )

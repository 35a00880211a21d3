"""Pages of the seller's identity: the merchant fills it in, operators verify it."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role
from server.errors import DomainError
from server.http import form_str, managed_store_id, redirect, render, require_user, translations
from server.trust import identity
from server.trust.identity import IdentityInput

routes = web.RouteTableDef()

FIELDS = (
    "business_name",
    "representative",
    "business_number",
    "mail_order_number",
    "business_address",
    "business_phone",
    "business_email",
)


@routes.get("/merchant/identity", name="seller_identity")
async def identity_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    async with request.app[keys.sessionmaker]() as session:
        store = await accounts.get_store(session, store_id)
    return render(
        request,
        "trust/identity.html",
        {"store": store, "form": IdentityInput.of_store(store).__dict__},
    )


@routes.post("/merchant/identity")
async def save_identity(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    form = await request.post()
    data = IdentityInput(**{name: form_str(form, name) for name in FIELDS})
    try:
        async with request.app[keys.sessionmaker].begin() as session:
            store = await accounts.get_store(session, store_id)
            identity.save(store, user, data)
    except DomainError as exc:
        if exc.status != 422:
            raise
        async with request.app[keys.sessionmaker]() as session:
            store = await accounts.get_store(session, store_id)
        return render(
            request,
            "trust/identity.html",
            {
                "store": store,
                "form": data.__dict__,
                "error": exc.translate(translations(request).gettext),
                "error_field": getattr(exc, "field", ""),
            },
            status=exc.status,
        )
    suffix = f"&store={store_id}" if user.role is Role.OPERATOR else ""
    return redirect(f"/merchant/identity?flash=saved{suffix}")


@routes.get("/ops/sellers", name="ops_sellers")
async def sellers_page(request: web.Request) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        stores = await identity.stores_for_review(session)
    return render(request, "trust/ops_sellers.html", {"stores": stores})


@routes.post("/ops/sellers/{store_id:\\d{1,9}}/verify")
async def verify_seller(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    form = await request.post()
    async with request.app[keys.sessionmaker].begin() as session:
        store = await accounts.get_store(session, int(request.match_info["store_id"]))
        identity.set_verified(store, operator, form_str(form, "verified") == "1")
    return redirect("/ops/sellers?flash=saved")

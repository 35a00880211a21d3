"""The pages' forms, swept: every POST route outside /api/ gets every field name the
forms use, filled with values that used to crash a driver or datetime (a Unicode
digit, a number past 64 bits, year 9999, text as long as the edge allows), as an
operator and as a merchant, on SQLite and PostgreSQL. Nothing may answer a 5xx."""

from __future__ import annotations

import re

import pytest
from pytest_aiohttp import AiohttpClient

from server.accounts.models import Role
from server.app import create_app
from server.limits import text_limit
from server.settings import Settings
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user

FIELDS = [
    "name",
    "description",
    "reason",
    "title",
    "price",
    "stock",
    "scheduled_start",
    "duration_minutes",
    "region",
    "product_id",
    "password",
    "variants",
    "tracking_number",
    "store_id",
    "status",
    "role",
    "province",
    "per_order_limit",
    "message",
    "market",
    "languages",
    "invite",
    "email",
    "comment",
    "amount",
    "address",
    "viewers",
    "variant_id",
    "subject_id",
    "store_name",
    "starts_at",
    "stars",
    "specialities",
    "slot_id",
    "show_id",
    "shop",
    "remove",
    "prepare",
    "phone",
    "per_shopper",
    "note",
    "minutes",
    "market_id",
    "longitude",
    "locale",
    "latitude",
    "kind",
    "item",
    "id",
    "hidden",
    "done",
    "district",
    "display_name",
    "creator_id",
    "category",
    "bio",
    "address_detail",
    "refund_policy",
    "opening_days",
    "place",
    "pay",
    "date",
    "product_name",
    "postcode",
]
NASTY = ["²", "9" * 30, "9999-12-31T23:59", "가" * 500]


def _paths(formatter: str, pattern: str, ids: dict[str, int]) -> list[str]:
    """The route's path with its ids filled in, once per alternative of a `{a:x|y}`."""
    paths = [formatter]
    for name in re.findall(r"{(\w+)}", formatter):
        if name in ids or name.endswith("_id"):
            value = str(ids.get(name, 1))
            paths = [p.replace(f"{{{name}}}", value) for p in paths]
            continue
        group = re.search(rf"\(\?P<{name}>([^)]*)\)", pattern)
        options = group.group(1).split("|") if group and "|" in group.group(1) else ["x"]
        paths = [p.replace(f"{{{name}}}", option) for p in paths for option in options]
    return paths


@pytest.mark.postgres
@pytest.mark.parametrize("role", [Role.OPERATOR, Role.MERCHANT])
async def test_no_page_form_answers_a_server_error(
    any_db_settings: Settings, aiohttp_client: AiohttpClient, role: Role
) -> None:
    app = create_app(any_db_settings)
    client: AppClient = await aiohttp_client(app)
    merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    user = merchant if role is Role.MERCHANT else await make_user(app, Role.OPERATOR)
    await login_as(client, user)
    ids = {"show_id": show.id, "store_id": store.id, "user_id": merchant.id}
    targets = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        formatter = info.get("formatter") or info.get("path") or ""
        pattern = info["pattern"].pattern if "pattern" in info else ""
        if route.method != "POST" or formatter.startswith(("/api/", "/socket.io")):
            continue
        targets += _paths(formatter, pattern, ids)
    assert len(targets) > 30
    crashes = []
    reached = 0
    for path in targets:
        for value in NASTY:
            # Within each field's edge limit, so the handlers (not the edge) see them.
            data = {field: value[: text_limit(field)] for field in FIELDS}
            data["_csrf"] = csrf(client)
            resp = await client.post(path, data=data, allow_redirects=False)
            if resp.status >= 500:
                crashes.append(f"{path} {value[:12]!r}: {resp.status}")
            reached += resp.status != 400
    assert not crashes, crashes
    assert reached > len(targets)  # most were answered by the handlers themselves

"""Withdrawal pages: the shopper's request on the order, the store's and the operators'
lists with the answers, and the photos (never public: served to those who may see)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from server import keys
from server.accounts.models import Role
from server.errors import N_, DomainError
from server.http import (
    form_str,
    managed_store_id,
    redirect,
    render,
    require_user,
    translations,
)
from server.media import save_image
from server.trust.errors import BadTrustInput
from server.trust.models import REFUSAL_WORDS, WITHDRAWAL_STATE_WORDS, RefusalReason
from server.trust.withdrawals import MAX_PHOTOS

routes = web.RouteTableDef()
PHOTO_FOLDER = "withdrawals"


def private_root(data_dir: Path) -> Path:
    """Where a shopper's photos go: beside, not below, the public /media/ folder."""
    return data_dir / "private"


def withdrawal_photo_path(data_dir: Path, stored: str) -> Path:
    """The file of a photo as stored on its withdrawal."""
    return private_root(data_dir) / "media" / stored


def _words() -> dict[str, Any]:
    return {
        "state_words": WITHDRAWAL_STATE_WORDS,
        "refusal_words": REFUSAL_WORDS,
        "refusal_reasons": list(RefusalReason),
    }


@routes.get("/orders/{order_id:\\d{1,9}}/withdrawal", name="withdrawal")
async def shopper_page(request: web.Request) -> web.Response:
    user = require_user(request)
    found = await request.app[keys.withdrawals].for_shopper(
        user, int(request.match_info["order_id"])
    )
    return render(request, "trust/withdrawal.html", {"found": found, **_words()})


@routes.post("/orders/{order_id:\\d{1,9}}/withdrawal")
async def request_withdrawal(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    order_id = int(request.match_info["order_id"])
    service = request.app[keys.withdrawals]
    form = await request.post()
    try:
        uploads = [f for f in form.getall("photos", []) if isinstance(f, FileField) and f.filename]
        if len(uploads) > MAX_PHOTOS:
            raise BadTrustInput(N_("Attach at most 3 photos."), field="photos")
        root = private_root(request.app[keys.settings].data_dir)
        # save_image does Pillow's work off the event loop itself.
        photos = [await save_image(root, f.file.read(), PHOTO_FOLDER, "photos") for f in uploads]
        await service.request(user, order_id, form_str(form, "reason"), photos)
    except DomainError as exc:
        if exc.status != 422 and exc.status != 409:
            raise
        found = await service.for_shopper(user, order_id)
        return render(
            request,
            "trust/withdrawal.html",
            {
                "found": found,
                "error": exc.translate(translations(request).gettext),
                "typed": form_str(form, "reason"),
                **_words(),
            },
            status=exc.status,
        )
    return redirect(f"/orders/{order_id}/withdrawal?flash=saved")


@routes.get(
    "/withdrawals/{withdrawal_id:\\d{1,9}}/photos/{index:\\d{1,9}}", name="withdrawal_photo"
)
async def photo(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    path = await request.app[keys.withdrawals].photo(
        user, int(request.match_info["withdrawal_id"]), int(request.match_info["index"])
    )
    file = withdrawal_photo_path(request.app[keys.settings].data_dir, path)
    return web.FileResponse(file, headers={"Cache-Control": "private, no-store"})


@routes.get("/merchant/withdrawals", name="store_withdrawals")
async def store_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    store_id = managed_store_id(request, user)
    cases = await request.app[keys.withdrawals].of_store(user, store_id)
    return render(
        request,
        "trust/withdrawals.html",
        {"cases": cases, "for_operators": False, "store_id": store_id, **_words()},
    )


@routes.get("/ops/withdrawals", name="ops_withdrawals")
async def ops_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.OPERATOR)
    cases = await request.app[keys.withdrawals].for_operators(user)
    return render(
        request,
        "trust/withdrawals.html",
        {"cases": cases, "for_operators": True, "store_id": None, **_words()},
    )


@routes.post("/withdrawals/{withdrawal_id:\\d{1,9}}/{answer:accept|refuse}")
async def answer(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    withdrawal_id = int(request.match_info["withdrawal_id"])
    form = await request.post()
    service = request.app[keys.withdrawals]
    if request.match_info["answer"] == "accept":
        await service.accept(user, withdrawal_id, form_str(form, "goods_returned") == "1")
    else:
        await service.refuse(
            user, withdrawal_id, form_str(form, "refusal_reason"), form_str(form, "note")
        )
    back = "/ops/withdrawals" if user.role is Role.OPERATOR else "/merchant/withdrawals"
    return redirect(f"{back}?flash=saved")

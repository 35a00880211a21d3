"""The evidence bundle of an order, downloaded as a ZIP (evidence.json, a page that
reads without the site, the withdrawal's photos) or as the JSON alone."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from server import keys
from server.http import base_context, require_user
from server.trust.evidence import Bundle
from server.trust.withdrawal_views import private_root

routes = web.RouteTableDef()


@routes.get("/orders/{order_id:\\d{1,9}}/evidence.{kind:zip|json}", name="evidence")
async def evidence(request: web.Request) -> web.Response:
    user = require_user(request)
    bundle = await request.app[keys.evidence].bundle(user, int(request.match_info["order_id"]))
    name = f"jangteo-order-{bundle.order_id}-evidence"
    headers = {"Cache-Control": "private, no-store"}
    if request.match_info["kind"] == "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return web.Response(
            body=_json(bundle.data), content_type="application/json", headers=headers
        )
    page = aiohttp_jinja2.render_string(
        "trust/evidence.html", request, {**base_context(request), "e": bundle.data}
    )
    media = private_root(request.app[keys.settings].data_dir) / "media"
    body = await asyncio.to_thread(_zip, bundle, page, media)
    headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return web.Response(body=body, content_type="application/zip", headers=headers)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _zip(bundle: Bundle, page: str, media: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("evidence.json", _json(bundle.data))
        archive.writestr("evidence.html", page)
        for n, path in enumerate(bundle.photos, start=1):
            photo = media / path
            if photo.is_file():
                archive.write(photo, f"photos/{n}.jpg")
    return buffer.getvalue()

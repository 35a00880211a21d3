"""Every text field has a length limit, images a pixel limit, and image work never holds
the event loop: a refund policy of megabytes is not copied into every order, and one
merchant's giant photo does not freeze everyone's live show."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
import zlib
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import FormData
from PIL import Image
from sqlalchemy import func, select

from checkout.models import Product
from server import keys, media
from server.accounts.models import Store
from server.limits import text_limit
from tests.helpers import AppClient, csrf, login_as, make_merchant


async def merchant_of(client: AppClient) -> tuple[Store, dict[str, str]]:
    merchant, store = await make_merchant(client.app)
    await login_as(client, merchant)
    return store, {"X-CSRF-Token": csrf(client)}


async def product_count(client: AppClient) -> int:
    async with client.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(Product.id))) or 0)


async def store_row(client: AppClient, store_id: int) -> Store:
    async with client.app[keys.sessionmaker]() as session:
        store = await session.get(Store, store_id)
    assert store is not None
    return store


def store_form(store: Store, token: str, **fields: Any) -> FormData:
    form = FormData()
    values = {"name": store.name, "description": "", "market": "", "region": ""}
    for key, value in {**values, "refund_policy": "7일 이내 환불", **fields}.items():
        if isinstance(value, bytes):
            form.add_field(key, value, filename=f"{key}.png", content_type="image/png")
        else:
            form.add_field(key, value)
    form.add_field("_csrf", token)
    return form


def zero_png(width: int, height: int) -> bytes:
    """A real, complete grey PNG, compressed row by row: a few hundred kilobytes on the
    wire, width*height bytes once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + one byte per pixel
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


async def test_oversize_product_description_is_a_400_and_nothing_is_saved(
    client: AppClient,
) -> None:
    store, headers = await merchant_of(client)
    most = text_limit("description")
    resp = await client.post(
        f"/api/stores/{store.id}/products",
        json={"name": "수제 도마", "price": 39000, "description": "가" * (most + 1)},
        headers=headers,
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "too_long" and error["field"] == "description"
    assert f"최대 {most}자" in error["message"]
    # 9.5 MB, as found: past the JSON body limit before any field is looked at.
    body = {"name": "수제 도마", "price": 39000, "description": "a" * 9_500_000}
    huge = await client.post(
        f"/api/stores/{store.id}/products",
        data=io.BytesIO(json.dumps(body).encode()),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert huge.status == 413 and (await huge.json())["error"]["code"] == "too_large"
    assert await product_count(client) == 0
    ok = await client.post(
        f"/api/stores/{store.id}/products",
        json={"name": "수제 도마", "price": 39000, "description": "가" * most},
        headers=headers,
    )
    assert ok.status == 201 and await product_count(client) == 1


async def test_a_9_mb_refund_policy_is_refused_with_a_message(client: AppClient) -> None:
    store, _ = await merchant_of(client)
    fields = {"name": store.name, "refund_policy": "a" * 9_000_000, "_csrf": csrf(client)}
    resp = await client.post(
        "/merchant/store",
        data=io.BytesIO(urlencode(fields).encode()),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 400
    assert f"최대 {text_limit('refund_policy')}자" in await resp.text()
    assert (await store_row(client, store.id)).refund_policy == store.refund_policy
    english = await client.post("/lang", data={"locale": "en", "_csrf": csrf(client), "next": "/"})
    assert english.status < 400
    resp = await client.post(
        "/merchant/store", data=store_form(store, csrf(client), description="a" * 5001)
    )
    assert resp.status == 400
    assert "at most 5000 characters" in await resp.text()


async def test_a_12000_by_12000_png_is_refused_before_decoding(client: AppClient) -> None:
    store, _ = await merchant_of(client)
    giant = zero_png(12_000, 12_000)
    assert len(giant) < 1_000_000  # small on the wire: only its pixels are large
    resp = await client.post("/merchant/store", data=store_form(store, csrf(client), logo=giant))
    assert resp.status == 422
    assert "최대 25메가픽셀" in await resp.text()
    assert (await store_row(client, store.id)).logo_path is None


async def test_image_work_leaves_the_event_loop_free(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a photo is being decoded, the same process still answers: the decoding
    waits here until /healthz has answered, which only works off the loop."""
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}
    real = media.store_image

    def held_store_image(*args: Any) -> str:
        started.set()
        # On the loop, this would hold it: /healthz could not answer, and the wait
        # would end by its timeout instead of by the test's release.
        outcome["released_by_healthz"] = release.wait(timeout=20)
        return real(*args)

    monkeypatch.setattr(media, "store_image", held_store_image)
    store, _ = await merchant_of(client)
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(png, "PNG")
    upload = asyncio.create_task(
        client.post("/merchant/store", data=store_form(store, csrf(client), logo=png.getvalue()))
    )
    assert await asyncio.to_thread(started.wait, 20)
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    release.set()
    resp = await upload
    assert resp.status < 400
    assert outcome["released_by_healthz"]
    assert (await store_row(client, store.id)).logo_path is not None


async def test_forms_say_the_limits_and_count_a_line_break_once(client: AppClient) -> None:
    store, _ = await merchant_of(client)
    page = await (await client.get("/merchant")).text()
    assert f'name="refund_policy" maxlength="{text_limit("refund_policy")}"' in page
    # What a browser sends for a full textarea: maxlength characters, lines ending CRLF.
    policy = ("가" * 99 + "\r\n") * (text_limit("refund_policy") // 100)
    resp = await client.post(
        "/merchant/store", data=store_form(store, csrf(client), refund_policy=policy)
    )
    assert resp.status < 400
    saved = (await store_row(client, store.id)).refund_policy
    assert saved.startswith("가" * 99)

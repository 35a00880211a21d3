"""The demo's pictures and videos, made into DATA_DIR by `seed-demo` (never committed):
a cover for every show and a photo for every product of the demo stores, the live demo
show's looping clip and the finished demo show's recording. Each is made only when
missing, so running `seed-demo` again (as `make run` does) repairs a DATA_DIR whose
files were deleted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from checkout.models import Product
from server.accounts.models import Store
from server.analytics.models import ShowEvent
from server.demo_covers import PALETTES, draw_cover, draw_product
from server.demo_history import DEMO_STORES
from server.demo_showcase import REPLAY_TITLE
from server.events import LiveEvent
from server.media import save_image
from server.shows.models import Show, ShowState
from streaming.demo_clip import caption_script, loop_clip_path, write_clip, write_loop_clip
from streaming.demo_scene import Caption
from streaming.recording import recording_path

CATEGORY_OF_STORE = {d.slug: d.category for d in DEMO_STORES}
DATED_TITLE = re.compile(r"\s*\(\d{1,2}/\d{1,2}\)$")  # the history's "title (11/3)"
CAPTION_KINDS = (
    LiveEvent.PRODUCT_PINNED,
    LiveEvent.PRODUCT_UNPINNED,
    LiveEvent.SALE_STARTED,
    LiveEvent.SALE_ENDED,
)


@dataclass
class MediaMade:
    covers: int = 0
    photos: int = 0
    clip: Path | None = None
    recordings: list[Path] = field(default_factory=list)


async def seed_media(session: AsyncSession, data_dir: Path) -> MediaMade:
    made = MediaMade()
    demo_shows = list(
        await session.scalars(
            select(Show).where(Show.is_demo.is_(True)).options(selectinload(Show.store))
        )
    )
    for show in demo_shows:
        if show.state in (ShowState.SCHEDULED, ShowState.LIVE):
            if not loop_clip_path(data_dir).is_file():
                made.clip = await asyncio.to_thread(write_loop_clip, data_dir, show.store.name)
        elif (
            show.state is ShowState.ENDED
            and show.title == REPLAY_TITLE  # not a looping demo someone ended: never recorded
            and not recording_path(data_dir, show.id).is_file()
        ):
            made.recordings.append(await _record(session, data_dir, show))
    made.covers = await _covers(session, data_dir)
    made.photos = await _product_photos(session, data_dir)
    return made


async def _record(session: AsyncSession, data_dir: Path, show: Show) -> Path:
    """The finished demo show's recording, its captions following its journal."""
    assert show.started_at is not None and show.ended_at is not None
    events = await session.scalars(
        select(ShowEvent)
        .where(ShowEvent.show_id == show.id, ShowEvent.kind.in_([str(k) for k in CAPTION_KINDS]))
        .order_by(ShowEvent.offset_ms, ShowEvent.id)
    )
    captions = captions_of([(e.offset_ms or 0, LiveEvent(e.kind), e.payload or {}) for e in events])
    seconds = (show.ended_at - show.started_at).total_seconds()
    path = recording_path(data_dir, show.id)
    return await asyncio.to_thread(
        write_clip, path, show.store.name, seconds, caption_script(captions), True
    )


def captions_of(
    events: Sequence[tuple[int, LiveEvent, dict[str, object]]],
) -> list[tuple[float, Caption | None]]:
    """What the picture says from each journal moment on: the pinned product and its
    price, the sale price while a flash sale runs, nothing once unpinned."""
    pinned: Caption | None = None
    changes: list[tuple[float, Caption | None]] = []
    for offset_ms, kind, payload in events:
        shown: Caption | None
        if kind is LiveEvent.PRODUCT_PINNED:
            product = payload.get("product")
            pinned = shown = (
                Caption(str(product.get("name", "")), str(product.get("price_text", "")))
                if isinstance(product, dict)
                else None
            )
        elif kind is LiveEvent.SALE_STARTED:
            sale = payload.get("sale")
            price = str(sale.get("price_text", "")) if isinstance(sale, dict) else ""
            shown = Caption(pinned.product if pinned else "", price, sale=True)
        elif kind is LiveEvent.SALE_ENDED:
            shown = pinned
        else:
            pinned = shown = None
        changes.append((offset_ms / 1000, shown))
    return changes


async def _covers(session: AsyncSession, data_dir: Path) -> int:
    """One cover per store and title (the history's dated shows of one series share
    it), for every show of the demo stores that has none or whose file is gone."""
    rows = await session.execute(
        select(Show, Store)
        .join(Store, Store.id == Show.store_id)
        .where(Store.slug.in_(list(CATEGORY_OF_STORE)))
    )
    media = data_dir / "media"
    drawn: dict[tuple[int, str], str] = {}
    for show, store in rows:
        if show.cover_path and (media / show.cover_path).is_file():
            continue
        title = DATED_TITLE.sub("", show.title)
        key = (store.id, title)
        if key not in drawn:
            png = await asyncio.to_thread(
                draw_cover, title, store.name, CATEGORY_OF_STORE[store.slug]
            )
            drawn[key] = await save_image(data_dir, png, "shows")
        show.cover_path = drawn[key]
    await session.flush()
    return len(drawn)


async def _product_photos(session: AsyncSession, data_dir: Path) -> int:
    """A photo for every product of the demo stores that has none (or lost its file)."""
    rows = await session.execute(
        select(Product, Store)
        .join(Store, Store.id == Product.store_id)
        .where(Store.slug.in_(list(CATEGORY_OF_STORE)))
    )
    media, drawn = data_dir / "media", 0
    for product, store in rows:
        if product.image_path and (media / product.image_path).is_file():
            continue
        category = product.category if product.category in PALETTES else ""
        png = await asyncio.to_thread(
            draw_product, product.name, store.name, category or CATEGORY_OF_STORE[store.slug]
        )
        product.image_path = await save_image(data_dir, png, "products")
        drawn += 1
    await session.flush()
    return drawn

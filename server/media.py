"""Uploaded images: checked with Pillow, resized, stored under DATA_DIR/media.

Decoding is bounded and off the event loop: the pixel count is read from the header
before anything is decoded (a 12000x12000 PNG of a few hundred kilobytes would
otherwise decode to 576 MB), and the work runs in a worker thread, since a second of
decoding on the loop stops every live show's chat and video served by this process.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.errors import N_, Invalid
from server.limits import MAX_IMAGE_PIXELS

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1280
THUMB_SIDE = 320


class BadImage(Invalid):
    template = N_("Upload a JPEG, PNG or WebP image of at most 8 MB.")
    code = "bad_image"


def media_root(data_dir: Path) -> Path:
    root = data_dir / "media"
    root.mkdir(parents=True, exist_ok=True)
    return root


class ImageTooLarge(BadImage):
    template = N_("The image is too large: at most %(mp)d megapixels.")
    code = "image_too_large"


async def save_image(data_dir: Path, data: bytes, folder: str, field: str = "image") -> str:
    """Store a resized JPEG and a thumbnail, in a worker thread; return the image's path
    below /media/."""
    return await asyncio.to_thread(store_image, data_dir, data, folder, field)


def _check_pixels(data: bytes, field: str) -> None:
    """Refuse an image of too many pixels from its header alone, before decoding."""
    too_large = ImageTooLarge(field=field, mp=MAX_IMAGE_PIXELS // 1_000_000)
    try:
        with warnings.catch_warnings():
            # Pillow warns of (and past twice its own limit refuses) a bomb at open.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_large from None
    except (UnidentifiedImageError, OSError) as exc:
        raise BadImage(field=field) from exc
    if width * height > MAX_IMAGE_PIXELS:
        raise too_large


def store_image(data_dir: Path, data: bytes, folder: str, field: str = "image") -> str:
    """`save_image`'s blocking work: check, decode, resize, write."""
    if not data or len(data) > MAX_UPLOAD_BYTES:
        raise BadImage(field=field)
    _check_pixels(data, field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        opened = Image.open(io.BytesIO(data))
        if opened.format not in ("JPEG", "PNG", "WEBP"):
            raise BadImage(field=field)
        image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadImage(field=field) from exc
    name = secrets.token_hex(8)
    target = media_root(data_dir) / folder
    target.mkdir(parents=True, exist_ok=True)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    image.save(target / f"{name}.jpg", "JPEG", quality=85)
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    image.save(target / f"{name}.thumb.jpg", "JPEG", quality=80)
    return f"{folder}/{name}.jpg"


def thumb_path(path: str | None) -> str | None:
    return path[: -len(".jpg")] + ".thumb.jpg" if path and path.endswith(".jpg") else path

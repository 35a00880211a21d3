"""Uploaded images: checked with Pillow, resized, stored under DATA_DIR/media."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.errors import N_, Invalid

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


def save_image(data_dir: Path, data: bytes, folder: str, field: str = "image") -> str:
    """Store a resized JPEG and a thumbnail; return the image's path below /media/."""
    if not data or len(data) > MAX_UPLOAD_BYTES:
        raise BadImage(field=field)
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

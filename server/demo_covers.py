"""Covers for the demo's shows and photos for its products, drawn with Pillow at seed
time: a warm colour field, shapes that look like what the store sells, the show's title
(or the product's name) in Korean and the store's name. Saved through the upload path
(`server.media.save_image`), so they are stored, resized and thumbnailed exactly like
a merchant's own pictures."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, ImageDraw

from streaming.demo_scene import font

WIDTH, HEIGHT = 600, 800  # 3:4, the show card's cover

# Per category: two background colours (top, bottom) and the colours of the goods.
PALETTES: dict[str, tuple[tuple[str, str], tuple[str, ...]]] = {
    "food": (("#f6c453", "#e8462f"), ("#c62828", "#ef6c00", "#fff3e0", "#7cb342", "#8d6e63")),
    "produce": (("#c5e1a5", "#2e7d32"), ("#d32f2f", "#ffa000", "#7cb342", "#6a1b9a", "#fdd835")),
    "crafts": (("#f3e5d0", "#8d6e63"), ("#a1887f", "#6d4c41", "#d7ccc8", "#26a69a", "#ffcc80")),
    "fashion": (("#f8bbd0", "#3949ab"), ("#1a237e", "#ec407a", "#fff8e1", "#00897b", "#5d4037")),
}


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _gradient(top: str, bottom: str, size: tuple[int, int]) -> Image.Image:
    start, end = Image.new("RGB", size, top), Image.new("RGB", size, bottom)
    return Image.composite(end, start, Image.linear_gradient("L").resize(size))


def _goods(
    draw: ImageDraw.ImageDraw, rng: random.Random, category: str, width: int, bottom: float
) -> None:
    """A heap of goods above `bottom`: round produce, bowls or wooden boards."""
    colours = PALETTES.get(category, PALETTES["food"])[1]
    for _ in range(26):
        x, y = rng.uniform(-40, width + 40), rng.triangular(bottom * 0.25, bottom, bottom - 30)
        size = rng.uniform(45, 110)
        colour = rng.choice(colours)
        if category == "crafts" and rng.random() < 0.6:
            w, h = size * rng.uniform(1.3, 2.0), size * 0.55
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            draw.rounded_rectangle(box, radius=h / 2.5, fill=colour, outline="#4e342e", width=3)
            continue
        draw.ellipse((x - size / 2, y - size / 2, x + size / 2, y + size / 2), fill=colour)
        shine = size / 5
        draw.ellipse(
            (x - size / 4, y - size / 3, x - size / 4 + shine, y - size / 3 + shine),
            fill=(255, 255, 255, 120),
        )
        if category in ("produce", "food") and rng.random() < 0.5:
            draw.ellipse((x, y - size / 2 - 12, x + 26, y - size / 2 + 4), fill="#558b2f")


def _awning(draw: ImageDraw.ImageDraw, width: int) -> None:
    """The striped awning of a market stall along the top."""
    stripe = width / 8
    for n in range(8):
        colour = "#d94135" if n % 2 == 0 else "#f8f0e2"
        draw.rectangle((n * stripe, 0, (n + 1) * stripe, 70), fill=colour)
        draw.chord((n * stripe, 44, (n + 1) * stripe, 96), start=0, end=180, fill=colour)


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font(size)) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line][:3]


def draw_cover(title: str, store_name: str, category: str) -> bytes:
    """A PNG cover (3:4) for one show."""
    return _picture(title, store_name, category, (WIDTH, HEIGHT), awning=True)


def draw_product(name: str, store_name: str, category: str) -> bytes:
    """A square PNG photo of one product."""
    return _picture(name, store_name, category, (WIDTH, WIDTH), awning=False)


def _picture(
    text: str, store_name: str, category: str, size: tuple[int, int], *, awning: bool
) -> bytes:
    width, height = size
    top, bottom = PALETTES.get(category, PALETTES["food"])[0]
    image = _gradient(top, bottom, size)
    draw = ImageDraw.Draw(image, "RGBA")
    lines = _wrap(draw, text, 46, width - 100)
    panel_top = height - 120 - 58 * len(lines)
    _goods(draw, _rng(text, store_name), category, width, panel_top + 30)
    if awning:
        _awning(draw, width)
    draw.rounded_rectangle((24, panel_top, width - 24, height - 24), radius=28, fill="#fffdf8")
    draw.text((54, panel_top + 26), store_name, font=font(30), fill="#e8462f")
    for n, line in enumerate(lines):
        draw.text((54, panel_top + 72 + n * 58), line, font=font(46), fill="#1d1d1f")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

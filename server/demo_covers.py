"""Covers for the demo's shows, drawn with Pillow at seed time: a warm colour field,
shapes that look like what the store sells, the show's title in Korean and the store's
name. Saved through the upload path (`server.media.save_image`), so they are stored,
resized and thumbnailed exactly like a merchant's own cover."""

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


def _gradient(top: str, bottom: str) -> Image.Image:
    start, end = Image.new("RGB", (1, 1), top), Image.new("RGB", (1, 1), bottom)
    mask = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    return Image.composite(end.resize((WIDTH, HEIGHT)), start.resize((WIDTH, HEIGHT)), mask)


def _goods(draw: ImageDraw.ImageDraw, rng: random.Random, category: str) -> None:
    """A heap of goods in the upper part: round produce, bowls or wooden boards."""
    colours = PALETTES.get(category, PALETTES["food"])[1]
    for _ in range(26):
        x, y = rng.uniform(-40, WIDTH + 40), rng.triangular(150, 500, 470)
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


def _awning(draw: ImageDraw.ImageDraw) -> None:
    """The striped awning of a market stall along the top."""
    stripe = WIDTH / 8
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
    """A PNG cover for one show."""
    top, bottom = PALETTES.get(category, PALETTES["food"])[0]
    image = _gradient(top, bottom)
    draw = ImageDraw.Draw(image, "RGBA")
    _goods(draw, _rng(title, store_name), category)
    _awning(draw)
    lines = _wrap(draw, title, 46, WIDTH - 100)
    panel_top = HEIGHT - 120 - 58 * len(lines)
    draw.rounded_rectangle((24, panel_top, WIDTH - 24, HEIGHT - 24), radius=28, fill="#fffdf8")
    store_font = font(30)
    draw.text((54, panel_top + 26), store_name, font=store_font, fill="#e8462f")
    for n, line in enumerate(lines):
        draw.text((54, panel_top + 72 + n * 58), line, font=font(46), fill="#1d1d1f")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

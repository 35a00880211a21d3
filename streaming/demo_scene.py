"""The demo's picture: a market stall at dusk, drawn with Pillow, that moves.

Used by `seed-demo` to make the looping clip of the live demo show and the recording of
the finished one; nothing here runs while the server serves. Every motion repeats
exactly every `LOOP_SECONDS`, so the looping clip has no visible seam. The recording
adds what a viewer of the real show would have seen: the product being presented, a
flash-sale banner and the time since the start.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 360, 640  # 9:16, the stage of the watch page
FPS = 15
LOOP_SECONDS = 8
DEMO_LABEL = "DEMO 데모 방송"

# Fonts with Hangul, most likely first (Debian's fonts-noto-cjk, then other systems).
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "C:/Windows/Fonts/malgunbd.ttf",
)
KOREAN_FACE_INDEX = 1  # in the Noto CJK collections, face 1 is the Korean one

AWNING = ((214, 64, 52), (248, 240, 226))
WALL = (58, 40, 33)
TABLE = (139, 90, 52)
BASKET = (120, 78, 40)
PRODUCE = (
    ((214, 45, 32), 18),  # apples
    ((124, 179, 66), 24),  # cabbages
    ((251, 140, 0), 15),  # tangerines
    ((236, 231, 214), 17),  # radishes
    ((142, 36, 170), 14),  # plums
)


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font that draws Hangul, or Pillow's own (Latin only) where none is installed."""
    for path in FONT_FILES:
        if Path(path).is_file():
            index = KOREAN_FACE_INDEX if path.endswith(".ttc") and "Noto" in path else 0
            try:
                return ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
    return ImageFont.load_default(size)


@dataclass(frozen=True)
class Caption:
    """What the recorded show's picture says at one moment."""

    product: str = ""
    price: str = ""
    sale: bool = False


def _phase(t: float, cycles: int = 1) -> float:
    """An angle that comes back to where it started after `LOOP_SECONDS`."""
    return 2 * math.pi * cycles * (t % LOOP_SECONDS) / LOOP_SECONDS


def _rounded(draw: ImageDraw.ImageDraw, box: tuple[float, ...], fill: tuple[int, ...]) -> None:
    draw.rounded_rectangle(box, radius=(box[3] - box[1]) / 2, fill=fill)


class StallScene:
    """Draws frame after frame of one store's stall; the still parts are drawn once."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self._background = self._draw_background()
        self._captions: dict[Caption, Image.Image] = {}

    def frame(self, t: float, caption: Caption | None = None, clock: bool = False) -> np.ndarray:
        """The picture at `t` seconds, as an RGB array of HEIGHT × WIDTH."""
        image = self._background.copy()
        draw = ImageDraw.Draw(image, "RGBA")
        self._draw_lights(draw, t)
        self._draw_awning(draw, t)
        self._draw_steam(draw, t)
        self._draw_produce(draw, t)
        self._draw_passers_by(draw, t)
        self._draw_label(draw, t, clock)
        if caption is not None:
            overlay = self._captions.get(caption)
            if overlay is None:
                overlay = self._captions[caption] = self._draw_caption(caption)
            image.paste(overlay, (0, 226), overlay)
        return np.asarray(image)

    # --- the still parts ---------------------------------------------------------------

    def _draw_background(self) -> Image.Image:
        image = Image.new("RGB", (WIDTH, HEIGHT), WALL)
        draw = ImageDraw.Draw(image)
        for y in range(0, 260, 4):  # a warm glow from the lamps behind the awning
            shade = int(40 * (1 - y / 260))
            draw.line((0, y, WIDTH, y), fill=(WALL[0] + shade, WALL[1] + shade // 2, WALL[2]))
        # The signboard with the store's name.
        draw.rounded_rectangle((40, 150, WIDTH - 40, 215), radius=10, fill=(250, 226, 170))
        draw.rounded_rectangle((46, 156, WIDTH - 46, 209), radius=8, outline=TABLE, width=3)
        sign = font(30)
        width = draw.textlength(self.store_name, font=sign)
        draw.text(((WIDTH - width) / 2, 162), self.store_name, font=sign, fill=(90, 50, 20))
        # The table and its baskets.
        draw.rectangle((0, 420, WIDTH, HEIGHT), fill=TABLE)
        for x in range(0, WIDTH, 45):
            draw.line((x, 420, x + 20, HEIGHT), fill=(122, 78, 44), width=2)
        for n, (left, top) in enumerate(((18, 300), (128, 292), (238, 300))):
            draw.ellipse((left, top + 70, left + 104, top + 128), fill=BASKET)
            colour, radius = PRODUCE[n + 1]
            for row in range(3):
                for col in range(4 - row):
                    cx = left + 18 + col * 22 + row * 11
                    cy = top + 84 - row * 18
                    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
                    draw.ellipse(
                        (cx - radius / 2, cy - radius / 1.6, cx, cy - radius / 4),
                        fill=tuple(min(255, c + 50) for c in colour),
                    )
        # A soup pot on the right, whose steam rises (drawn per frame).
        draw.rectangle((272, 236, 340, 290), fill=(90, 90, 96))
        draw.ellipse((268, 228, 344, 246), fill=(120, 120, 128))
        return image

    # --- the moving parts ----------------------------------------------------------------

    def _draw_lights(self, draw: ImageDraw.ImageDraw, t: float) -> None:
        for n in range(9):
            x = 20 + n * 40
            y = 122 + 10 * math.sin(n / 8 * math.pi)
            glow = 0.6 + 0.4 * math.sin(_phase(t, 4) + n)
            draw.ellipse((x - 12, y - 12, x + 12, y + 12), fill=(255, 214, 120, int(70 * glow)))
            draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(255, 236, 170))

    def _draw_awning(self, draw: ImageDraw.ImageDraw, t: float) -> None:
        sway = 4 * math.sin(_phase(t, 2))
        stripe = WIDTH / 8
        for n in range(8):
            colour = AWNING[n % 2]
            left = n * stripe
            draw.polygon(
                [(left, 40), (left + stripe, 40), (left + stripe + sway, 95), (left + sway, 95)],
                fill=colour,
            )
            draw.chord((left + sway, 80, left + stripe + sway, 110), start=0, end=180, fill=colour)
        draw.rectangle((0, 30, WIDTH, 42), fill=(120, 36, 28))

    def _draw_steam(self, draw: ImageDraw.ImageDraw, t: float) -> None:
        for n in range(4):
            rise = ((t / LOOP_SECONDS * 2 + n / 4) % 1.0) * 90
            x = 300 + 10 * math.sin(_phase(t, 3) + n)
            r = 8 + rise / 8
            alpha = int(150 * (1 - rise / 90))
            draw.ellipse(
                (x - r, 222 - rise - r, x + r, 222 - rise + r), fill=(255, 255, 255, alpha)
            )

    def _draw_produce(self, draw: ImageDraw.ImageDraw, t: float) -> None:
        """A few apples in front bounce as if someone were arranging them."""
        colour, radius = PRODUCE[0]
        for n in range(5):
            hop = max(0.0, math.sin(_phase(t, 2) - n * 0.9)) * 14
            cx, cy = 60 + n * 60, 452 - hop
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
            draw.ellipse((cx - 8, cy - 12, cx - 1, cy - 5), fill=(255, 140, 120))
            draw.line((cx, cy - radius, cx + 3, cy - radius - 6), fill=(70, 110, 40), width=3)

    def _draw_passers_by(self, draw: ImageDraw.ImageDraw, t: float) -> None:
        for n, colour in enumerate(((40, 60, 110), (110, 40, 60))):
            travel = (t / LOOP_SECONDS + n / 2) % 1.0
            x = -60 + travel * (WIDTH + 120) if n == 0 else WIDTH + 60 - travel * (WIDTH + 120)
            step = 4 * abs(math.sin(_phase(t, 8)))
            draw.ellipse((x - 16, 505 - step, x + 16, 537 - step), fill=(*colour, 200))
            draw.rounded_rectangle(
                (x - 24, 535 - step, x + 24, 640), radius=18, fill=(*colour, 200)
            )

    def _draw_label(self, draw: ImageDraw.ImageDraw, t: float, clock: bool) -> None:
        label = font(20)
        width = draw.textlength(DEMO_LABEL, font=label)
        _rounded(draw, (10, 52, 44 + width, 84), (0, 0, 0, 150))
        on = math.sin(_phase(t, LOOP_SECONDS)) > -0.3  # blinks once a second
        draw.ellipse((18, 62, 30, 74), fill=(255, 45, 85) if on else (120, 40, 50))
        draw.text((36, 53), DEMO_LABEL, font=label, fill=(255, 255, 255))
        if clock:
            shown = f"{int(t) // 60:02d}:{int(t) % 60:02d}"
            width = draw.textlength(shown, font=label)
            _rounded(draw, (WIDTH - 30 - width, 52, WIDTH - 10, 84), (0, 0, 0, 150))
            draw.text((WIDTH - 20 - width, 53), shown, font=label, fill=(255, 255, 255))

    def _draw_caption(self, caption: Caption) -> Image.Image:
        overlay = Image.new("RGBA", (WIDTH, 110), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        draw.rounded_rectangle((10, 10, WIDTH - 10, 100), radius=14, fill=(0, 0, 0, 170))
        if caption.sale:
            _rounded(draw, (22, 18, 140, 44), (255, 45, 85, 255))
            draw.text((34, 18), "타임 특가", font=font(18), fill=(255, 255, 255))
        elif caption.product:
            draw.text((24, 18), "지금 소개", font=font(18), fill=(255, 214, 120))
        draw.text((24, 46), caption.product, font=font(24), fill=(255, 255, 255))
        if caption.price:
            width = draw.textlength(caption.price, font=font(22))
            draw.text((WIDTH - 26 - width, 18), caption.price, font=font(22), fill=(255, 214, 120))
        return overlay

"""A viewers-over-time chart as inline SVG, with pins, sales and orders marked on it.
Server-rendered: no chart library to download, readable on a phone (it scales)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from server.analytics.stats import Marker
from server.events import LiveEvent

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 28
MARKER_STYLE: dict[str, tuple[str, str]] = {
    LiveEvent.PRODUCT_PINNED: ("#2563eb", "▲"),
    LiveEvent.SALE_STARTED: ("#e8462f", "◆"),
    LiveEvent.ORDER_PAID: ("#1a7f37", "●"),
}


def viewers_chart(
    series: Sequence[tuple[int, int]], markers: Sequence[Marker], title: str, minute_label: str
) -> str:
    span_ms = max([o for o, _ in series] + [m.offset_ms for m in markers] + [60_000])
    top = max([v for _, v in series] + [1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(offset: int) -> float:
        return LEFT + plot_w * offset / span_ms

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    minutes = span_ms // 60_000
    for tick in range(0, minutes + 1, max(1, minutes // 6)):
        tx = x(tick * 60_000)
        parts.append(
            f'<text x="{tx:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'font-size="11">{tick}{escape(minute_label)}</text>'
        )
    if series:
        points = " ".join(f"{x(o):.1f},{y(v):.1f}" for o, v in series)
        parts.append(
            f'<polyline fill="none" stroke="#e8462f" stroke-width="2" '
            f'points="{points}" data-series="viewers"/>'
        )
    for marker in markers:
        color, glyph = MARKER_STYLE.get(marker.kind, ("#555", "•"))
        mx = x(marker.offset_ms)
        parts.append(
            f'<g class="marker" data-kind="{escape(marker.kind)}">'
            f'<line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{TOP + plot_h}" '
            f'stroke="{color}" stroke-dasharray="3 3" opacity=".6"/>'
            f'<text x="{mx:.1f}" y="{TOP + 10}" text-anchor="middle" fill="{color}" '
            f'font-size="12">{glyph}<title>{escape(marker.label)}</title></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)

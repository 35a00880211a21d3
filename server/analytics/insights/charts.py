"""The insights' charts as inline SVG, drawn for a phone: about 360 units wide so that
12-unit text stays readable when the chart fills a phone's width. Every text is escaped
here; the views pass translated labels in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from server.analytics.insights.besttime import Heatmap
from server.analytics.insights.retention import Departure, RetentionPoint
from server.analytics.insights.timeline import MINUTE_MS, Pin

WIDTH = 360
LOW, HIGH = (253, 240, 230), (232, 70, 47)  # the accent colour, from pale to full
HIDDEN, EMPTY, INK, AXIS = "#ecebe6", "#fafaf8", "#1d1d1f", "#999"
PIN_FILLS = ("#dbe7ff", "#e8f3e8")
SALE_FILL = "#e8462f"
TICK_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120)  # minutes between labels


def _open(height: int, title: str, testid: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" data-chart="{testid}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]


def _shade(fraction: float) -> str:
    r, g, b = (round(lo + (hi - lo) * fraction) for lo, hi in zip(LOW, HIGH, strict=True))
    return f"rgb({r},{g},{b})"


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12"{extra}>'
        f"{escape(text)}</text>"
    )


@dataclass(frozen=True)
class HeatmapLabels:
    title: str
    weekdays: Sequence[str]  # Monday first
    hour: Callable[[int, int], str]  # (first hour, block) -> "20시" or "20–22시"
    own: str  # tooltip of the merchant's own-show mark


def heatmap_svg(hm: Heatmap, metric: str, labels: HeatmapLabels) -> str:
    """Weekdays across, hours down (a phone is taller than wide); each cell the average
    per show of other stores, pale to strong; a dot where the merchant went live."""
    left, top, cell_w, cell_h = 62, 22, (WIDTH - 66) / 7, 24
    height = top + cell_h * len(hm.hours) + 4
    values = [
        v
        for c in hm.visible_cells
        if (v := c.peers.mean_viewers if metric == "viewers" else c.peers.mean_orders) is not None
    ]
    low, high = min(values, default=0.0), max(values, default=0.0)
    parts = _open(int(height), labels.title, f"heatmap-{metric}")
    for day, name in enumerate(labels.weekdays):
        parts.append(_text(left + cell_w * (day + 0.5), 15, name))
    for row, hour in enumerate(hm.hours):
        y = top + row * cell_h
        parts.append(_text(left - 6, y + cell_h / 2 + 4, labels.hour(hour, hm.block), "end"))
        for day in range(7):
            parts.append(
                _cell(
                    hm,
                    metric,
                    day,
                    hour,
                    left + day * cell_w,
                    y,
                    (cell_w, cell_h),
                    (low, high),
                    labels.own,
                )
            )
    parts.append("</svg>")
    return "".join(parts)


def _cell(
    hm: Heatmap,
    metric: str,
    day: int,
    hour: int,
    x: float,
    y: float,
    size: tuple[float, float],
    scale: tuple[float, float],
    own_label: str,
) -> str:
    cell = hm.cell(day, hour)
    value = cell.peers.mean_viewers if metric == "viewers" else cell.peers.mean_orders
    w, h = size
    if value is None:
        fill, text, ink = (HIDDEN if cell.peers.shows else EMPTY), "", INK
    else:
        low, high = scale
        fraction = (value - low) / (high - low) if high > low else 1.0
        fill, ink = _shade(fraction), ("#fff" if fraction > 0.6 else INK)
        text = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    out = [
        f'<g data-cell="{day}-{hour}" data-value="{"" if value is None else value}" '
        f'data-own="{cell.own.shows}">',
        f'<rect x="{x + 1:.1f}" y="{y + 1:.1f}" width="{w - 2:.1f}" height="{h - 2:.1f}" '
        f'rx="3" fill="{fill}"/>',
    ]
    if text:
        out.append(_text(x + w / 2, y + h / 2 + 4, text, extra=f' fill="{ink}"'))
    if cell.own.shows:
        out.append(
            f'<circle cx="{x + 5.5:.1f}" cy="{y + 5.5:.1f}" r="3.5" fill="{INK}" stroke="#fff" '
            f'stroke-width="1.5"><title>{escape(own_label)}</title></circle>'
        )
    out.append("</g>")
    return "".join(out)


def _plot(height: int) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the plotting area."""
    left, top, bottom = 40, 14, 26
    return left, top, WIDTH - left - 8, height - top - bottom


def retention_svg(points: Sequence[RetentionPoint], title: str, minute_label: str) -> str:
    height = 200
    left, top, pw, ph = _plot(height)
    longest = max([p.minute for p in points] + [1])
    parts = _open(height, title, "retention")
    parts += _axes(left, top, pw, ph, "100%", "0%", longest, minute_label)
    coords = " ".join(
        f"{left + pw * p.minute / longest:.1f},{top + ph * (1 - p.share):.1f}" for p in points
    )
    if coords:
        parts.append(
            f'<polyline fill="none" stroke="{SALE_FILL}" stroke-width="2" points="{coords}" '
            'data-series="retention"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _axes(
    left: int, top: int, pw: int, ph: int, top_label: str, zero: str, span: int, unit: str
) -> list[str]:
    parts = [
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{AXIS}"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="{AXIS}"/>',
        _text(left - 4, top + 10, top_label, "end"),
        _text(left - 4, top + ph, zero, "end"),
    ]
    step = next((s for s in TICK_STEPS if s * 6 >= span), TICK_STEPS[-1])
    for tick in range(0, span + 1, step):
        x = left + pw * tick / span
        # The last label would run past the edge if centred on its tick.
        anchor = "end" if x > left + pw - 14 else "middle"
        parts.append(_text(x, top + ph + 17, f"{tick}{unit}", anchor))
    return parts


def show_timeline_svg(
    series: Sequence[tuple[int, int]],
    pins: Sequence[Pin],
    sales: Sequence[tuple[int, int]],
    departures: Sequence[Departure],
    length_ms: int,
    title: str,
    minute_label: str,
) -> str:
    """Concurrent viewers over the show, each pin a numbered band (the table names the
    products), flash sales a red strip at the bottom, the biggest departures ▼."""
    height = 220
    left, top, pw, ph = _plot(height)
    span_ms = max([length_ms, 60_000] + [o for o, _ in series])
    peak = max([v for _, v in series] + [1])

    def x(offset_ms: int) -> float:
        return left + pw * offset_ms / span_ms

    parts = _open(height, title, "timeline")
    for number, pin in enumerate(pins, start=1):
        fill = PIN_FILLS[number % 2]
        parts.append(
            f'<g class="pin" data-product="{pin.product_id}"><rect x="{x(pin.start_ms):.1f}" '
            f'y="{top}" width="{max(1.0, x(pin.end_ms) - x(pin.start_ms)):.1f}" height="{ph}" '
            f'fill="{fill}"><title>{escape(pin.name)}</title></rect>'
            + _text((x(pin.start_ms) + x(pin.end_ms)) / 2, top + 12, str(number))
            + "</g>"
        )
    for start, end in sales:
        parts.append(
            f'<rect class="sale" x="{x(start):.1f}" y="{top + ph - 6}" '
            f'width="{max(1.0, x(end) - x(start)):.1f}" height="6" fill="{SALE_FILL}"/>'
        )
    parts += _axes(left, top, pw, ph, str(peak), "0", span_ms // MINUTE_MS, minute_label)
    coords = " ".join(f"{x(o):.1f},{top + ph * (1 - v / peak):.1f}" for o, v in series)
    if coords:
        parts.append(
            f'<polyline fill="none" stroke="{INK}" stroke-width="2" points="{coords}" '
            'data-series="viewers"/>'
        )
    for d in departures:
        parts.append(
            _text(
                x(d.minute * MINUTE_MS + MINUTE_MS // 2),
                top + 26,
                "▼",
                extra=f' fill="{SALE_FILL}" class="departure"',
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def range_svg(
    low: float, value: float, high: float, title: str, text: Callable[[float], str]
) -> str:
    """A forecast's range as a bar with its point: where between low and high it lies."""
    height, left, right = 44, 12, WIDTH - 12
    top = max(high, value, 1e-9)
    span = top * 1.1

    def x(v: float) -> float:
        return left + (right - left) * v / span

    parts = _open(height, title, "range")
    parts += [
        f'<line x1="{left}" y1="16" x2="{right}" y2="16" stroke="{HIDDEN}" stroke-width="8" '
        'stroke-linecap="round"/>',
        f'<line x1="{x(low):.1f}" y1="16" x2="{x(high):.1f}" y2="16" stroke="{_shade(0.35)}" '
        'stroke-width="8" stroke-linecap="round"/>',
        f'<circle cx="{x(value):.1f}" cy="16" r="7" fill="{SALE_FILL}"/>',
    ]
    # Labels close together lean away from each other instead of overlapping.
    close = x(high) - x(low) < 70
    parts.append(_text(x(low), 40, text(low), "end" if close else "middle"))
    parts.append(_text(x(high), 40, text(high), "start" if close else "middle"))
    parts.append("</svg>")
    return "".join(parts)

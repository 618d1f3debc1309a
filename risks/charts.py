"""The loss exceedance curve as an inline SVG, drawn on the server: amounts on a log scale, the chance that a
year's loss exceeds each amount from 0 to 100 %. Accessible: the SVG has a <title> and a <desc>, and the points
behind it are given as rows for a table next to it (the template puts them behind a <details>).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from risks.money import format_chance, format_compact, format_money

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 32, 16, 44


@dataclass(frozen=True)
class Curve:
    label: str
    points: Sequence[tuple[float, float]]  # (amount, chance a year's loss exceeds it), amounts rising
    kind: str  # a CSS modifier: "inherent", "residual"


@dataclass(frozen=True)
class Marker:
    label: str
    amount: float
    chance: float


@dataclass(frozen=True)
class PointRow:
    amount: str
    chances: list[str]  # one per curve, "" where that curve has no point at this amount


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    labels: list[str]
    rows: list[PointRow]
    empty: bool


def _bounds(curves: Sequence[Curve], marker: Marker | None) -> tuple[float, float] | None:
    amounts = [amount for curve in curves for amount, _ in curve.points if amount > 0]
    if marker is not None and marker.amount > 0:
        amounts.append(marker.amount)
    if not amounts:
        return None
    low = 10 ** math.floor(math.log10(min(amounts)))
    high = 10 ** math.ceil(math.log10(max(amounts)))
    return low, high if high > low else low * 10


def loss_exceedance_chart(
    curves: Sequence[Curve], currency: str, *, title: str, marker: Marker | None = None
) -> Chart:
    labels = [curve.label for curve in curves]
    rows = _rows(curves, currency)
    bounds = _bounds(curves, marker)
    if bounds is None:
        desc = "No simulated year has any loss, so there is no curve to draw."
        svg = format_html(
            '<svg class="lec" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
            '<text class="lec__empty" x="{}" y="{}" text-anchor="middle">{}</text></svg>',
            WIDTH,
            HEIGHT,
            _id(title),
            _id(title),
            _id(title),
            title,
            _id(title),
            desc,
            WIDTH / 2,
            HEIGHT / 2,
            desc,
        )
        return Chart(svg, labels, rows, empty=True)
    low, high = bounds
    span = math.log10(high) - math.log10(low)

    def x(amount: float) -> float:
        amount = min(max(amount, low), high)
        return LEFT + (math.log10(amount) - math.log10(low)) / span * (WIDTH - LEFT - RIGHT)

    def y(chance: float) -> float:
        return TOP + (1 - chance) * (HEIGHT - TOP - BOTTOM)

    grid = []
    decade = low
    while decade <= high * 1.0001:
        left = _n(x(decade))
        grid.append(
            format_html(
                '<line class="lec__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="lec__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                left, left, TOP, HEIGHT - BOTTOM, left, HEIGHT - BOTTOM + 16, format_compact(decade, currency),
            )
        )  # fmt: skip
        decade *= 10
    for chance in (0, 0.25, 0.5, 0.75, 1):
        top = _n(y(chance))
        grid.append(
            format_html(
                '<line class="lec__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="lec__tick" x="{}" y="{}" dy="4" text-anchor="end">{}</text>',
                LEFT, WIDTH - RIGHT, top, top, LEFT - 6, top, f"{chance:.0%}",
            )
        )  # fmt: skip
    paths = [
        format_html(
            '<polyline class="lec__curve lec__curve--{}" points="{}"><title>{}</title></polyline>',
            curve.kind,
            " ".join(f"{_n(x(a))},{_n(y(p))}" for a, p in _steps(curve.points, low)),
            curve.label,
        )
        for curve in curves
    ]
    if marker is not None:
        cx, cy = x(marker.amount), y(marker.chance)
        paths.append(
            format_html(
                '<g class="lec__marker"><circle cx="{}" cy="{}" r="5"/><text x="{}" y="{}">{}</text></g>',
                _n(cx), _n(cy), _n(cx + 8), _n(cy - 8), marker.label,
            )
        )  # fmt: skip
    legend = format_html_join(
        "",
        '<g class="lec__legend-item lec__curve--{}"><line x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text x="{}" y="{}">{}</text></g>',
        (
            (
                curve.kind,
                WIDTH - 190,
                WIDTH - 170,
                TOP + 8 + 18 * i,
                TOP + 8 + 18 * i,
                WIDTH - 164,
                TOP + 12 + 18 * i,
                curve.label,
            )
            for i, curve in enumerate(curves)
        ),
    )
    desc = _description(curves, currency, marker)
    ident = _id(title)
    svg = format_html(
        '<svg class="lec" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}{}'
        '<text class="lec__axis" x="{}" y="{}" text-anchor="middle">Annual loss (log scale)</text></svg>',
        WIDTH,
        HEIGHT,
        ident,
        ident,
        ident,
        title,
        ident,
        desc,
        _joined(grid),
        _joined(paths),
        legend,
        (LEFT + WIDTH - RIGHT) / 2,
        HEIGHT - 6,
    )
    return Chart(svg, labels, rows, empty=False)


def _n(value: float) -> str:
    return f"{value:.1f}"


def _joined(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _steps(points: Sequence[tuple[float, float]], low: float) -> list[tuple[float, float]]:
    """The curve's points on the log axis: amounts of 0 sit at its left end."""
    return [(max(amount, low), chance) for amount, chance in points]


def _id(title: str) -> str:
    return "lec-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]


def _description(curves: Sequence[Curve], currency: str, marker: Marker | None) -> str:
    parts = []
    for curve in curves:
        middle = next((a for a, p in curve.points if p <= 0.1), None)
        first = curve.points[0][1] if curve.points else 0.0
        text = f"{curve.label}: a {format_chance(first)} chance of any loss in a year"
        if middle is not None:
            text += f"; a 1 in 10 chance of losing more than {format_money(middle, currency)}"
        parts.append(text)
    if marker is not None:
        parts.append(
            f"{marker.label}: at most a {format_chance(marker.chance)} chance of losing more than "
            f"{format_money(marker.amount, currency)}"
        )
    return ". ".join(parts) + "."


def _rows(curves: Sequence[Curve], currency: str) -> list[PointRow]:
    amounts = sorted({amount for curve in curves for amount, _ in curve.points})
    lookup = [dict(curve.points) for curve in curves]
    return [
        PointRow(
            format_money(amount, currency),
            [format_chance(points[amount]) if amount in points else "" for points in lookup],
        )
        for amount in amounts
    ]

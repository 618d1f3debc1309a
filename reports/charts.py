"""Every chart of the app, as inline SVG drawn on the server, so the same markup appears in the browser and in
PDFs (WeasyPrint). Pure functions: figures in, SVG out, no queries.

- `loss_exceedance_chart`: amounts on a log scale, the chance that a year's loss exceeds each amount, with a
  tolerance marker; the points behind it come back as rows for a table next to it.
- `heat_map`: likelihood by impact, a count in each cell, each cell optionally a link to its risks.
- `bars_against_appetite`: one horizontal bar per item, with the appetite as a line across them.
- `trend_chart`: lines over dates, optionally with the appetite as a line.

Every chart is accessible the same way: role="img" labelled by its <title> and <desc>; every figure is written
as a real <text> element, so nothing is told by colour alone; colours come from colour-blind-safe palettes
(Okabe-Ito for series, ColorBrewer YlOrBr for levels). The lines and fills are presentation attributes, so a
chart reads the same without the app's style sheet (in a PDF, where WeasyPrint styles no inline SVG from it).
"""

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from risks.money import format_chance, format_compact, format_money
from risks.scoring.levels import LEVELS, Level
from risks.scoring.matrix import RiskMatrix

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 4", "2 3", "8 3 2 3", "1 2", "10 4", "")
# ColorBrewer YlOrBr, five classes (colour-blind safe, prints in grey): very low to very high.
LEVEL_FILLS = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")
LEVEL_INKS = ("#1f2937", "#1f2937", "#1f2937", "#ffffff", "#ffffff")
INK, MUTED, GRID, ABOVE, WITHIN = "#1f2937", "#4b5563", "#e5e7eb", "#D55E00", "#0072B2"

# Loss exceedance curve ---------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 32, 16, 44
# Each curve's stroke and dashes: inherent is the grey dashed "before", residual the solid "now".
CURVE_STROKES = {"inherent": ("#98a2b3", "6 4"), "residual": ("#4f46e5", "")}
MARKER, MARKER_INK = "#d92d20", "#b42318"


@dataclass(frozen=True)
class Curve:
    label: str
    points: Sequence[tuple[float, float]]  # (amount, chance a year's loss exceeds it), amounts rising
    kind: str  # "inherent" or "residual": how its line is drawn (CURVE_STROKES)


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
            '<text class="lec__empty" x="{}" y="{}" text-anchor="middle" fill="#667085" font-size="14">{}</text></svg>',
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
                '<line class="lec__grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text class="lec__tick" x="{}" y="{}" text-anchor="middle" fill="{}" font-size="11">{}</text>',
                left, left, TOP, HEIGHT - BOTTOM, GRID,
                left, HEIGHT - BOTTOM + 16, MUTED, format_compact(decade, currency),
            )
        )  # fmt: skip
        decade *= 10
    for chance in (0, 0.25, 0.5, 0.75, 1):
        top = _n(y(chance))
        grid.append(
            format_html(
                '<line class="lec__grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text class="lec__tick" x="{}" y="{}" dy="4" text-anchor="end" fill="{}" font-size="11">{}</text>',
                LEFT, WIDTH - RIGHT, top, top, GRID, LEFT - 6, top, MUTED, f"{chance:.0%}",
            )
        )  # fmt: skip
    paths = [
        format_html(
            '<polyline class="lec__curve lec__curve--{}" points="{}" fill="none" stroke-width="2.5" '
            'stroke="{}" stroke-dasharray="{}"><title>{}</title></polyline>',
            curve.kind,
            " ".join(f"{_n(x(a))},{_n(y(p))}" for a, p in _steps(curve.points, low)),
            *CURVE_STROKES[curve.kind],
            curve.label,
        )
        for curve in curves
    ]
    if marker is not None:
        cx, cy = x(marker.amount), y(marker.chance)
        paths.append(
            format_html(
                '<g class="lec__marker"><circle cx="{}" cy="{}" r="5" fill="{}"/>'
                '<text x="{}" y="{}" fill="{}" font-size="12">{}</text></g>',
                _n(cx), _n(cy), MARKER, _n(cx + 8), _n(cy - 8), MARKER_INK, marker.label,
            )
        )  # fmt: skip
    legend = format_html_join(
        "",
        '<g class="lec__legend-item lec__curve--{}"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke-width="2.5" '
        'stroke="{}" stroke-dasharray="{}"/><text x="{}" y="{}" fill="#344054" font-size="12">{}</text></g>',
        (
            (
                curve.kind,
                WIDTH - 190,
                WIDTH - 170,
                TOP + 8 + 18 * i,
                TOP + 8 + 18 * i,
                *CURVE_STROKES[curve.kind],
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
        '<text class="lec__axis" x="{}" y="{}" text-anchor="middle" fill="{}" font-size="11">'
        "Annual loss (log scale)</text></svg>",
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
        MUTED,
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


# Shared pieces of the other charts -----------------------------------------------------------------------------


def _svg(kind: str, width: int, height: int, title: str, desc: str, body: SafeString) -> SafeString:
    ident = f"{kind}-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
    return format_html(
        '<svg class="chart chart--{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        kind, width, height, ident, ident, ident, title, ident, desc, body,
    )  # fmt: skip


def _linked(href: str | None, content: SafeString, label: str) -> SafeString:
    if not href:
        return content
    return format_html('<a href="{}" aria-label="{}">{}</a>', href, label, content)


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above the value: the top of a linear axis whose
    fifths are round numbers."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _spread(positions: Sequence[float], *, gap: float) -> list[float]:
    """The positions, top to bottom, each moved down as little as needed to sit `gap` below the one above."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    spread = list(positions)
    for before, after in pairwise(order):
        spread[after] = max(spread[after], spread[before] + gap)
    return spread


def _level_name(level: Level) -> str:
    return level.value.replace("_", " ").capitalize()


# Heat map ------------------------------------------------------------------------------------------------------

CELL_W, CELL_H, HEAT_LEFT, HEAT_TOP, HEAT_BOTTOM = 84, 48, 96, 12, 52


def heat_map(
    counts: Mapping[tuple[Level, Level], int],
    *,
    matrix: RiskMatrix,
    title: str,
    link: Callable[[Level, Level], str] | None = None,
) -> SafeString:
    """Counts by (likelihood, impact), very high likelihood at the top and very high impact on the right.

    Each cell is filled by its level in the matrix and says its count; a cell with a count links to `link`.
    """
    width = HEAT_LEFT + CELL_W * len(LEVELS) + 8
    height = HEAT_TOP + CELL_H * len(LEVELS) + HEAT_BOTTOM
    cells = []
    for row, likelihood in enumerate(reversed(LEVELS)):
        for column, impact in enumerate(LEVELS):
            count = counts.get((likelihood, impact), 0)
            level = matrix.level(likelihood, impact)
            x, y = HEAT_LEFT + column * CELL_W, HEAT_TOP + row * CELL_H
            label = (
                f"{count} with {_level_name(likelihood).lower()} likelihood and {_level_name(impact).lower()} "
                f"impact ({_level_name(level).lower()} risk)"
            )
            cell = format_html(
                '<g class="chart__cell" data-likelihood="{}" data-impact="{}"><title>{}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#ffffff" stroke-width="2"/>'
                '<text x="{}" y="{}" text-anchor="middle" dominant-baseline="central" font-size="15" '
                'font-weight="{}" fill="{}">{}</text></g>',
                likelihood.value, impact.value, label,
                x, y, CELL_W, CELL_H, LEVEL_FILLS[level.rank],
                x + CELL_W / 2, y + CELL_H / 2, 700 if count else 400, LEVEL_INKS[level.rank], count,
            )  # fmt: skip
            cells.append(_linked(link(likelihood, impact) if link and count else None, cell, label))
    axes = [
        format_html(
            '<text x="{}" y="{}" text-anchor="end" dominant-baseline="central" fill="{}">{}</text>',
            HEAT_LEFT - 8,
            HEAT_TOP + row * CELL_H + CELL_H / 2,
            MUTED,
            _level_name(likelihood),
        )
        for row, likelihood in enumerate(reversed(LEVELS))
    ]
    axes += [
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
            HEAT_LEFT + column * CELL_W + CELL_W / 2,
            HEAT_TOP + CELL_H * len(LEVELS) + 18,
            MUTED,
            _level_name(impact),
        )
        for column, impact in enumerate(LEVELS)
    ]
    axes.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-weight="600">Impact</text>'
            '<text x="12" y="{}" text-anchor="middle" fill="{}" font-weight="600" '
            'transform="rotate(-90 12 {})">Likelihood</text>',
            HEAT_LEFT + CELL_W * len(LEVELS) / 2,
            height - 8,
            INK,
            HEAT_TOP + CELL_H * len(LEVELS) / 2,
            INK,
            HEAT_TOP + CELL_H * len(LEVELS) / 2,
        )
    )
    total = sum(counts.values())
    busiest = [key for key, count in counts.items() if count and count == max(counts.values())]
    desc = f"{total} in all, by likelihood (rows) and impact (columns)."
    if busiest:
        likelihood, impact = max(busiest, key=lambda key: (matrix.level(*key).rank, key[0].rank, key[1].rank))
        desc += (
            f" The most, {counts[(likelihood, impact)]}, have {_level_name(likelihood).lower()} likelihood "
            f"and {_level_name(impact).lower()} impact."
        )
    return _svg("heat", width, height, title, desc, _joined(cells + axes))


# Bars against an appetite line ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None


BAR_H, BAR_GAP, BAR_LABEL_W, BAR_WIDTH, BAR_TOP = 22, 10, 210, 640, 28
BAR_LABEL_CHARS = 28  # what fits in BAR_LABEL_W at 12 px


def bars_against_appetite(
    bars: Sequence[Bar],
    *,
    title: str,
    appetite: float,
    value_format: Callable[[float], str] = lambda value: f"{value:,.0f}",
    appetite_label: str = "Appetite",
) -> SafeString:
    """Horizontal bars, longest figure first as given, with the appetite as a dashed line across them.

    A bar above the appetite is vermilion and says "above appetite" after its figure, so the text tells it too.
    """
    top_value = _nice_top(max([appetite, *(bar.value for bar in bars)]))
    plot_left, plot_right = BAR_LABEL_W + 8, BAR_WIDTH - 160
    height = BAR_TOP + len(bars) * (BAR_H + BAR_GAP) + 8

    def x(value: float) -> float:
        return plot_left + max(value, 0) / top_value * (plot_right - plot_left)

    parts = []
    for i, bar in enumerate(bars):
        y = BAR_TOP + i * (BAR_H + BAR_GAP)
        above = bar.value > appetite
        figure = value_format(bar.value) + (" above appetite" if above else "")
        label = bar.label if len(bar.label) <= BAR_LABEL_CHARS else bar.label[: BAR_LABEL_CHARS - 1] + "…"
        content = format_html(
            '<g class="chart__bar{}"><title>{}: {}</title>'
            '<text x="{}" y="{}" text-anchor="end" dominant-baseline="central" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" dominant-baseline="central" fill="{}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text></g>',
            " chart__bar--above" if above else "", bar.label, figure,
            BAR_LABEL_W, y + BAR_H / 2, INK, label,
            _n(plot_left), y, _n(x(bar.value) - plot_left), BAR_H, ABOVE if above else WITHIN,
            _n(x(bar.value) + 6), y + BAR_H / 2, INK, figure,
        )  # fmt: skip
        parts.append(_linked(bar.href, content, f"{bar.label}: {figure}"))
    line_x = _n(x(appetite))
    parts.append(
        format_html(
            '<g class="chart__appetite"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" '
            'stroke-dasharray="6 4"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{}: {}</text></g>',
            line_x,
            line_x,
            BAR_TOP - 6,
            height - 4,
            INK,
            line_x,
            BAR_TOP - 12,
            INK,
            appetite_label,
            value_format(appetite),
        )
    )
    above_count = sum(1 for bar in bars if bar.value > appetite)
    desc = (
        f"{len(bars)} bars; {above_count} above the {appetite_label.lower()} of {value_format(appetite)}. "
        + "; ".join(f"{bar.label}: {value_format(bar.value)}" for bar in bars)
        + "."
    )
    return _svg("bars", BAR_WIDTH, height, title, desc, _joined(parts))


# Trend lines ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[datetime.date, float]]  # dates rising


TREND_W, TREND_H, TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 640, 260, 64, 150, 16, 36


def trend_chart(
    series: Sequence[Series],
    *,
    title: str,
    value_format: Callable[[float], str] = lambda value: f"{value:,.0f}",
    appetite: float | None = None,
) -> SafeString:
    """Lines over dates, each in its own colour and dash, named at its last point with its last value."""
    dates = [day for line in series for day, _ in line.points]
    if not dates:
        desc = "No figures have been recorded yet, so there is no trend to draw."
        body = format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
            TREND_W / 2,
            TREND_H / 2,
            MUTED,
            desc,
        )
        return _svg("trend", TREND_W, TREND_H, title, desc, body)
    first, last = min(dates), max(dates)
    days = max((last - first).days, 1)
    values = [value for line in series for _, value in line.points]
    top_value = _nice_top(max([*values, appetite or 0]))
    plot_right, plot_bottom = TREND_W - TREND_RIGHT, TREND_H - TREND_BOTTOM

    def x(day: datetime.date) -> float:
        return TREND_LEFT + (day - first).days / days * (plot_right - TREND_LEFT)

    def y(value: float) -> float:
        return plot_bottom - value / top_value * (plot_bottom - TREND_TOP)

    parts = []
    for step in range(6):
        value = top_value * step / 5
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="central" fill="{}">{}</text>',
                TREND_LEFT,
                plot_right,
                _n(y(value)),
                _n(y(value)),
                GRID,
                TREND_LEFT - 6,
                _n(y(value)),
                MUTED,
                value_format(value),
            )
        )
    for day, anchor in ((first, "start"), (last, "end")) if last != first else ((first, "start"),):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
                _n(x(day)),
                TREND_H - 14,
                anchor,
                MUTED,
                day.isoformat(),
            )
        )
    if appetite is not None:
        parts.append(
            format_html(
                '<g class="chart__appetite"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" '
                'stroke-dasharray="6 4"/><text x="{}" y="{}" dominant-baseline="central" fill="{}" font-size="12">'
                "Appetite: {}</text></g>",
                TREND_LEFT,
                plot_right,
                _n(y(appetite)),
                _n(y(appetite)),
                INK,
                plot_right + 6,
                _n(y(appetite)),
                INK,
                value_format(appetite),
            )
        )
    label_ys = _spread([y(line.points[-1][1]) if line.points else 0.0 for line in series], gap=15)
    end_labels = [f"{line.label}: {value_format(line.points[-1][1])}" for line in series if line.points]
    if appetite is not None:
        end_labels.append(f"Appetite: {value_format(appetite)}")
    # The lines are named at their ends, right of the plot: room for the longest name (about 7 units a
    # character at the labels' 12-unit size), so none is cut off at the edge.
    width = plot_right + max(TREND_RIGHT, 12 + 7 * max(len(text) for text in end_labels))
    for i, line in enumerate(series):
        if not line.points:
            continue
        colour, dash = OKABE_ITO[i % len(OKABE_ITO)], DASHES[i % len(DASHES)]
        end_day, end_value = line.points[-1]
        # One day of figures is a point, which a polyline does not draw: a dot shows it.
        dot = (
            format_html('<circle cx="{}" cy="{}" r="4" fill="{}"/>', _n(x(end_day)), _n(y(end_value)), colour)
            if len(line.points) == 1
            else ""
        )
        parts.append(
            format_html(
                '<g class="chart__series"><title>{}</title><polyline points="{}" fill="none" stroke="{}" '
                'stroke-width="2.5" stroke-dasharray="{}"/>{}'
                '<text x="{}" y="{}" dominant-baseline="central" fill="{}" font-size="12">{}: {}</text></g>',
                line.label,
                " ".join(f"{_n(x(day))},{_n(y(value))}" for day, value in line.points),
                colour,
                dash or "none",
                dot,
                _n(x(end_day) + 6),
                _n(label_ys[i]),
                INK,
                line.label,
                value_format(end_value),
            )
        )
    desc = (
        f"From {first.isoformat()} to {last.isoformat()}. "
        + "; ".join(
            f"{line.label}: {value_format(line.points[0][1])} to {value_format(line.points[-1][1])}"
            for line in series
            if line.points
        )
        + "."
    )
    return _svg("trend", round(width), TREND_H, title, desc, _joined(parts))

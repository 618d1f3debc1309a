"""The risk dashboard's charts as SVG, drawn from a Dashboard (reports.dashboard) by reports.charts: one home for
them, so the dashboard page and the executive summary's PDF show the same charts. Heat-map cells and bars link
into the risk register and the risk's page; in a PDF the links lead back to the app (reports.pdf's base URL).

Drawn charts are kept in the cache under a digest of everything they are drawn from (and of the code drawing
them), so a dashboard whose figures have not changed since the last request reuses the drawing: the same
figures always make the same SVG, and any change of a figure, a filter or the code makes a new key."""

import hashlib
from array import array
from collections.abc import Callable
from pathlib import Path

from django.core.cache import cache
from django.urls import reverse

from reports import charts
from reports.dashboard import Dashboard, Trend
from risks.inputs import Stage
from risks.money import Money, format_chance, format_compact
from risks.scoring.levels import Level

# The code the drawings come from: a new version draws anew rather than serve what the old one drew.
_CODE = hashlib.sha256(
    b"".join(Path(source).read_bytes() for source in (charts.__file__ or "", __file__))
).hexdigest()[:16]
KEEP_SECONDS = 24 * 60 * 60


def dashboard_charts(board: Dashboard, risk_list: str) -> dict[str, object]:
    """The dashboard's charts as SVG (the same in the browser and in a PDF); heat-map cells link to the risk
    list filtered to the cell and the dashboard's filters. Reused from the cache while what they show is the
    same (see the module's note)."""
    key = f"dashboard-charts:{_CODE}:{_digest(board, risk_list)}"
    drawn = cache.get(key)
    if drawn is None:
        drawn = _draw(board, risk_list)
        cache.set(key, drawn, KEEP_SECONDS)
    return {**drawn, "money": Money(board.scales.currency)}


def _digest(board: Dashboard, risk_list: str) -> str:
    """Everything the charts are drawn from, digested: figures, scales, filters, the links' targets."""
    portfolio = board.portfolio
    drawn_from = (
        risk_list,
        board.filters.query(),
        board.scales,
        sorted((stage, str(cell), n) for stage, cells in board.heat.items() for cell, n in cells.items()),
        [
            (
                risk.organisation.slug,
                risk.number,
                risk.reference,
                risk.title,
                getattr(risk, "residual_tolerance", None),
                getattr(risk, "residual_level", None),
            )
            for risk in board.top_risks
        ],
        (portfolio.inherent.lec, portfolio.residual.lec) if portfolio is not None else None,
    )
    digest = hashlib.sha256(repr(drawn_from).encode())
    digest.update(_trend_bytes(board.trend))
    return digest.hexdigest()


def _trend_bytes(trend: Trend | None) -> bytes:
    """A year of daily figures as their machine values: a tenth of the time of writing out 1,500 numbers."""
    if trend is None:
        return b"no trend"
    days = array("q", (day.toordinal() for day in trend.days))
    return b"".join(
        (
            days.tobytes(),
            array("q", trend.above_count).tobytes(),
            array("d", trend.above_ale + trend.residual_ale).tobytes(),
        )
    )


def _draw(board: Dashboard, risk_list: str) -> dict[str, object]:
    drawn: dict[str, object] = {
        f"heat_{stage}": charts.heat_map(
            board.heat[stage],
            matrix=board.scales.matrix,
            title=f"{stage.capitalize()} risk: business risks by likelihood and impact",
            link=_cell_link(board, risk_list, stage),
        )
        for stage in (Stage.INHERENT, Stage.RESIDUAL)
    }
    drawn["against_appetite"] = _against_appetite(board, risk_list)
    if board.portfolio is not None:
        scales = board.scales
        marker = (
            charts.Marker("Tolerance", scales.tolerance_amount, scales.tolerance_probability)
            if scales.tolerance_amount is not None and scales.tolerance_probability is not None
            else None
        )
        drawn["lec"] = charts.loss_exceedance_chart(
            [
                charts.Curve("Inherent", board.portfolio.inherent.lec, "inherent"),
                charts.Curve("Residual", board.portfolio.residual.lec, "residual"),
            ],
            scales.currency,
            title="Portfolio loss exceedance: the chance that a year's loss is above each amount",
            marker=marker,
        )
    if board.trend is not None:
        trend = board.trend
        drawn["trend_count"] = charts.trend_chart(
            [charts.Series("Above appetite", list(zip(trend.days, trend.above_count, strict=True)))],
            title="Business risks above appetite, day by day",
        )
        drawn["trend_loss"] = charts.trend_chart(
            [
                charts.Series(
                    "Residual expected loss", list(zip(trend.days, trend.residual_ale, strict=True))
                ),
                charts.Series("Above appetite", list(zip(trend.days, trend.above_ale, strict=True))),
            ],
            title="Expected annual loss, day by day",
            value_format=lambda amount: format_compact(amount, board.scales.currency),
        )
    return drawn


def _cell_link(board: Dashboard, risk_list: str, stage: str) -> Callable[[Level, Level], str]:
    def link(likelihood: Level, impact: Level) -> str:
        return risk_list + board.filters.query(stage=stage, likelihood=str(likelihood), impact=str(impact))

    return link


def _against_appetite(board: Dashboard, risk_list: str) -> object:
    """The top risks against the appetite: their chance of a year above the tolerance amount against the
    tolerated chance when a tolerance is set, else their residual level against the appetite level."""
    scales = board.scales
    risks = board.top_risks
    if scales.tolerance_amount is not None and scales.tolerance_probability is not None:
        bars = [
            charts.Bar(
                risk.reference + " " + risk.title,
                getattr(risk, "residual_tolerance", None) or 0.0,
                _risk_url(risk),
            )
            for risk in risks
        ]
        return charts.bars_against_appetite(
            bars,
            title="Top risks: chance of losing more than "
            + Money(scales.currency)(scales.tolerance_amount)
            + " in a year, against the tolerance",
            appetite=scales.tolerance_probability,
            value_format=format_chance,
            appetite_label="Tolerance",
        )
    names = {level.rank + 1: str(level).replace("_", " ").capitalize() for level in Level}
    bars = [
        charts.Bar(
            risk.reference + " " + risk.title,
            Level(level).rank + 1 if (level := getattr(risk, "residual_level", None)) else 0,
            _risk_url(risk),
        )
        for risk in risks
    ]
    return charts.bars_against_appetite(
        bars,
        title="Top risks: residual level against the appetite",
        appetite=scales.appetite_level.rank + 1,
        value_format=lambda value: names.get(round(value), ""),
    )


def _risk_url(risk: object) -> str:
    return reverse("risk_detail", args=[risk.organisation.slug, risk.number])  # type: ignore[attr-defined]

"""The risk dashboard's charts as SVG, drawn from a Dashboard (reports.dashboard) by reports.charts: one home for
them, so the dashboard page and the executive summary's PDF show the same charts. Heat-map cells and bars link
into the risk register and the risk's page; in a PDF the links lead back to the app (reports.pdf's base URL)."""

from collections.abc import Callable

from django.urls import reverse

from reports import charts
from reports.dashboard import Dashboard
from risks.inputs import Stage
from risks.money import Money, format_chance, format_compact
from risks.scoring.levels import Level


def dashboard_charts(board: Dashboard, risk_list: str) -> dict[str, object]:
    """The dashboard's charts as SVG (the same in the browser and in a PDF); heat-map cells link to the risk
    list filtered to the cell and the dashboard's filters."""
    money = Money(board.scales.currency)
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
    drawn["money"] = money
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

"""The risk dashboards' pages: the organisation's, and the same narrowed to a team, a project, a category or a
treatment by the query string, so any view can be shared as a link. Figures come from reports.dashboard; the
charts from reports.charts, drawn here with links into the lists they count."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from projects.access import member_required
from projects.http import AuthenticatedHttpRequest
from projects.models import Membership
from projects.roles import Permission
from reports import charts
from reports.dashboard import Dashboard, DashboardFilters, dashboard
from risks.inputs import Stage
from risks.models import Category, Treatment
from risks.money import Money, format_chance, format_compact
from risks.scoring.levels import Level
from risks.tasks import take_organisation_snapshot


@require_GET
@member_required()
def organisation_dashboard(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    filters = DashboardFilters.from_query(request.GET)
    figures = dashboard(membership.organisation, filters, timezone.localdate())
    context = {
        "membership": membership,
        "organisation": membership.organisation,
        "board": figures,
        "filters": filters,
        "charts": dashboard_charts(figures, reverse("risk_list", args=[membership.organisation.slug])),
        "currency": figures.scales.currency,
        "categories": Category.choices,
        "treatments": Treatment.choices,
        "can_manage": membership.can(Permission.MANAGE_MEMBERS),
        "can_snapshot": membership.can(Permission.EDIT_RISK_REGISTER),
    }
    return render(request, "reports/dashboard.html", context)


@require_POST
@member_required(Permission.EDIT_RISK_REGISTER)
def snapshot_take(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Take today's snapshot now (the nightly one would replace it), in the background."""
    take_organisation_snapshot.delay_on_commit(membership.organisation_id)  # type: ignore[attr-defined]  # Celery 5.4+
    messages.success(request, "Today's snapshot is being taken: the trend shows it in a moment.")
    return redirect("organisation_dashboard", org_slug=membership.organisation.slug)


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

"""The risk dashboard's figures as JSON, at /api/v1/organisations/<org_slug>/dashboard/: a second adapter over
reports.dashboard, as reports.views is the first, so the page and the API never count apart. The query string
narrows it as it narrows the page (team, project, category, treatment).

Every count comes with the absolute URL of the API list it counts, with the same filters, so a client can go from
a figure to its rows as a reader of the page goes from a number to its list. The API lists threats and controls
per project only, so the review queue's and the overdue controls' totals have a URL when the dashboard is
narrowed to one project, and null otherwise. Money is a number in the organisation's currency; dates are ISO.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api import ORG_SLUG, JsonApiView, PersonSerializer, answers
from projects.api_access import organisation_membership
from projects.api_workspace import IF_NONE_MATCH, LIST_ETAG, NOT_MODIFIED, list_etag, query_parameter, tagged
from projects.models import ControlStatus
from reports.dashboard import Dashboard, DashboardFilters, ReviewRow, Trend, dashboard
from risks.api import level_field
from risks.inputs import Scales
from risks.models import Category, Currency, RiskAcceptance, Treatment
from risks.register_selectors import CELL_STAGES
from risks.scoring.levels import LEVELS
from risks.selectors import StoredFigures

# Links ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Absolute URLs into the API for one dashboard: its organisation, and its filters carried along."""

    request: Request
    board: Dashboard

    def to(self, name: str, *args: object, **params: object) -> str:
        path = reverse(name, args=[self.board.organisation.slug, *args])
        query = urlencode({k: v for k, v in params.items() if v not in ("", None)}, doseq=True)
        return self.request.build_absolute_uri(path + ("?" + query if query else ""))

    def risks(self, **extra: object) -> str:
        """The register narrowed as the dashboard is; it reads team, project, category and treatment alike."""
        return self.to("api_risk_list", **self.board.filters.params(**extra))

    def dashboard(self, **extra: object) -> str:
        return self.to("api_dashboard", **self.board.filters.params(**extra))

    def projects(self, **params: object) -> str | None:
        """The project list narrowed to the dashboard's team; None when narrowed to a project, which it has no
        filter for."""
        if self.board.filters.project is not None:
            return None
        return self.to("api_project_list", **DashboardFilters(team=self.board.filters.team).params(**params))

    def project_work(self, name: str, **params: object) -> str | None:
        """A list of the one project the dashboard is narrowed to (its threats, its controls); None without one,
        or when the project is not of the team asked for (the dashboard then counts none of its work)."""
        project, team = self.board.project, self.board.filters.team
        if project is None or (team and project.team.slug != team):
            return None
        return self.to(name, project.pk, **params)


def counted(count: int, url: str | None) -> dict[str, Any]:
    return {"count": count, "url": url}


@extend_schema_field({"type": "string", "format": "uri"})
class LinkField(serializers.Field):
    """An absolute URL made from the row by `make(links, row)`, the links being the serializer's context."""

    def __init__(self, make: Callable[[Links, Any], str], **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)
        self.make = make

    def to_representation(self, value: Any) -> str:
        return self.make(self.context["links"], value)


# Output -----------------------------------------------------------------------------------------------------

LIST_URL = (
    "The API list of what is counted, with the dashboard's filters; null where the API has no such list."
)


@extend_schema_serializer(component_name="DashboardCount")
class CountOutput(serializers.Serializer):
    count = serializers.IntegerField()
    url = serializers.URLField(allow_null=True, help_text=LIST_URL)


@extend_schema_serializer(component_name="DashboardFilters")
class FiltersOutput(serializers.Serializer):
    team = serializers.CharField(allow_null=True, help_text="A team's slug.")
    project = serializers.IntegerField(allow_null=True, help_text="A project's id.")
    # Text, not a choice: the schema names each choice set after one field, and Category's is `categories`.
    category = serializers.CharField(allow_null=True, help_text="One of the category parameter's values.")
    treatment = serializers.ChoiceField(choices=Treatment.choices, allow_null=True)


@extend_schema_serializer(component_name="DashboardTolerance")
class ToleranceOutput(serializers.Serializer):
    amount = serializers.FloatField(help_text="The annual loss not to exceed ...")
    probability = serializers.FloatField(help_text="... with more than this chance, 0 to 1.")


@extend_schema_serializer(component_name="DashboardAppetite")
class AppetiteOutput(serializers.Serializer):
    level = level_field("risk", help_text="The highest acceptable residual risk level.")
    tolerance = ToleranceOutput(allow_null=True, help_text="null: the organisation set no tolerance.")


@extend_schema_serializer(component_name="DashboardAboveAppetite")
class AboveAppetiteOutput(CountOutput):
    ale_mean = serializers.FloatField(help_text="Their residual expected annual loss, added up.")


@extend_schema_serializer(component_name="DashboardHeadline")
class HeadlineOutput(serializers.Serializer):
    risks = CountOutput(help_text="Business risks in view.")
    scored = CountOutput(help_text="Of them, those with a stored residual level.")
    above_appetite = AboveAppetiteOutput(
        help_text="Residual figures above appetite (level or tolerance), and no acceptance in force."
    )
    accepted = CountOutput(help_text="An approved acceptance is in force.")
    residual_ale = serializers.FloatField(help_text="Expected annual loss with the controls in force.")
    inherent_ale = serializers.FloatField(help_text="Expected annual loss before controls.")


@extend_schema_serializer(component_name="DashboardHeatCell")
class HeatCellOutput(serializers.Serializer):
    likelihood = level_field("likelihood")
    impact = level_field("impact")
    level = level_field("risk", help_text="The cell's level in the organisation's matrix.")
    count = serializers.IntegerField(help_text="Business risks whose worst scenario sits in this cell.")
    risks = serializers.URLField(help_text="The register filtered to this cell and the dashboard's filters.")


@extend_schema_serializer(component_name="DashboardHeatMaps")
class HeatMapsOutput(serializers.Serializer):
    inherent = HeatCellOutput(many=True, help_text="All 25 cells, likelihood then impact, very low first.")
    residual = HeatCellOutput(many=True, help_text="All 25 cells, likelihood then impact, very low first.")


@extend_schema_serializer(component_name="DashboardTopRisk")
class TopRiskOutput(serializers.Serializer):
    number = serializers.IntegerField()
    reference = serializers.CharField(help_text="R-12.")
    title = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    level = level_field(
        "risk", source="residual_level", allow_null=True, help_text="Residual; null while unscored."
    )
    ale_mean = serializers.FloatField(source="residual_ale", help_text="The residual expected annual loss.")
    p_exceeding_tolerance = serializers.FloatField(
        source="residual_tolerance",
        allow_null=True,
        help_text="The chance of a year's loss above the tolerance amount; null without a tolerance.",
    )
    above_appetite = serializers.BooleanField(source="above", help_text="Above appetite and not accepted.")
    accepted = serializers.BooleanField(help_text="An approved acceptance is in force.")
    url = LinkField(lambda links, risk: links.to("api_risk_detail", risk.number))


@extend_schema_serializer(component_name="DashboardTeam")
class TeamOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    residual_ale = serializers.FloatField(help_text="Its threats' share of the residual expected loss.")
    inherent_ale = serializers.FloatField()
    projects = serializers.IntegerField(help_text="Its projects with threats linked to the risks in view.")
    dashboard = LinkField(
        lambda links, row: links.dashboard(team=row.slug), help_text="Narrowed to the team."
    )


@extend_schema_serializer(component_name="DashboardProject")
class ProjectOutput(serializers.Serializer):
    id = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    team = serializers.CharField(help_text="The team's name.")
    residual_ale = serializers.FloatField(help_text="Its threats' share of the residual expected loss.")
    inherent_ale = serializers.FloatField()
    dashboard = LinkField(
        lambda links, row: links.dashboard(project=row.project_id), help_text="Narrowed to the project."
    )
    url = LinkField(lambda links, row: links.to("api_project_detail", row.project_id))


@extend_schema_serializer(component_name="DashboardReviewRow")
class ReviewRowOutput(serializers.Serializer):
    project = serializers.IntegerField(help_text="The project's id.")
    name = serializers.CharField()
    team = serializers.CharField(help_text="The team's name.")
    in_review = CountOutput()
    new_since_review = CountOutput(help_text="Threats created after the model's last review.")
    last_reviewed_on = serializers.DateField(allow_null=True)
    url = serializers.URLField(help_text="The project.")


@extend_schema_serializer(component_name="DashboardReviewQueue")
class ReviewQueueOutput(serializers.Serializer):
    in_review = CountOutput()
    new_since_review = CountOutput(help_text="Threats created after their model's last review.")
    rows = ReviewRowOutput(many=True, help_text="The projects with the most waiting, at most ten.")


@extend_schema_serializer(component_name="DashboardProjectName")
class ProjectNameOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField(source="team.name", help_text="The team's name.")


@extend_schema_serializer(component_name="DashboardOverdueControl")
class OverdueControlOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ControlStatus.choices)
    project = ProjectNameOutput()
    owner = PersonSerializer(allow_null=True)
    due_on = serializers.DateField()
    url = LinkField(lambda links, control: links.to("api_control_detail", control.project_id, control.pk))


@extend_schema_serializer(component_name="DashboardOverdueControls")
class OverdueControlsOutput(CountOutput):
    rows = OverdueControlOutput(many=True, help_text="The longest overdue first, at most ten.")


@extend_schema_serializer(component_name="DashboardRiskName")
class RiskNameOutput(serializers.Serializer):
    number = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    url = LinkField(lambda links, risk: links.to("api_risk_detail", risk.number))


@extend_schema_serializer(component_name="DashboardAcceptance")
class AcceptanceOutput(serializers.Serializer):
    risk = RiskNameOutput()
    expires_on = serializers.DateField()
    expired = serializers.SerializerMethodField(help_text="false: it runs out within 30 days.")
    url = LinkField(
        lambda links, acceptance: links.to("api_acceptance_list", acceptance.risk.number),
        help_text="The risk's acceptances.",
    )

    def get_expired(self, acceptance: RiskAcceptance) -> bool:
        return acceptance.expired(self.context["links"].board.today)


@extend_schema_serializer(component_name="DashboardAcceptances")
class AcceptancesOutput(serializers.Serializer):
    expiring = CountOutput(help_text="Accepted, but the acceptance runs out within 30 days.")
    expired = CountOutput(help_text="The acceptance ran out and none is in force.")
    rows = AcceptanceOutput(many=True, help_text="The first to run out first, at most ten.")


@extend_schema_serializer(component_name="DashboardStaleProject")
class StaleProjectOutput(serializers.Serializer):
    id = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    team = serializers.CharField(help_text="The team's name.")
    last_reviewed_on = serializers.DateField(allow_null=True, help_text="null: never reviewed.")
    url = LinkField(lambda links, row: links.to("api_project_detail", row.project_id))


@extend_schema_serializer(component_name="DashboardStaleProjects")
class StaleProjectsOutput(CountOutput):
    rows = StaleProjectOutput(many=True, help_text="Never reviewed first, then the longest ago; at most ten.")


@extend_schema_serializer(component_name="DashboardPortfolioStage")
class PortfolioStageOutput(serializers.Serializer):
    ale_mean = serializers.FloatField(help_text="The expected annual loss.")
    p90 = serializers.FloatField(help_text="The annual loss exceeded one year in ten.")
    p_exceeding_tolerance = serializers.FloatField(
        allow_null=True, help_text="The chance of a year's loss above the tolerance amount; null without one."
    )


@extend_schema_serializer(component_name="DashboardPortfolio")
class PortfolioOutput(serializers.Serializer):
    computed_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text="The inputs changed since: a recomputation is on its way.")
    inherent = PortfolioStageOutput()
    residual = PortfolioStageOutput()
    projected = PortfolioStageOutput(help_text="Planned and in-progress controls counted as well.")
    url = serializers.URLField(help_text="The portfolio's full figures, with its loss exceedance curves.")


@extend_schema_serializer(component_name="DashboardTrendDay")
class TrendDayOutput(serializers.Serializer):
    date = serializers.DateField()
    above_appetite_count = serializers.IntegerField()
    above_appetite_ale = serializers.FloatField()
    residual_ale = serializers.FloatField()


@extend_schema_serializer(component_name="Dashboard")
class DashboardOutput(serializers.Serializer):
    filters = FiltersOutput(help_text="The filters as understood; unknown values are left out, as null.")
    currency = serializers.ChoiceField(choices=Currency.choices, help_text="Of every amount here.")
    appetite = AppetiteOutput()
    headline = HeadlineOutput()
    heat_maps = HeatMapsOutput(help_text="Each business risk in the cell of its worst scenario.")
    top_risks = TopRiskOutput(many=True, help_text="The largest residual expected loss first, at most ten.")
    teams = TeamOutput(many=True, help_text="Risk by team, the largest residual loss first.")
    projects = ProjectOutput(many=True, help_text="Risk by project, the largest first, at most ten.")
    project_count = CountOutput(help_text="Projects in view.")
    review_queue = ReviewQueueOutput()
    overdue_controls = OverdueControlsOutput(help_text="Past their due date and not yet in force.")
    acceptances = AcceptancesOutput(help_text="Approved acceptances running out or run out.")
    projects_not_reviewed = StaleProjectsOutput(help_text="Models never reviewed, or not in 90 days.")
    portfolio = PortfolioOutput(
        allow_null=True, help_text="The whole organisation's; null when filtered or not computed yet."
    )
    trend = TrendDayOutput(
        many=True, allow_null=True, help_text="A year of daily snapshots, oldest first; null when filtered."
    )


# From the read model ----------------------------------------------------------------------------------------


def figures_of(board: Dashboard, links: Links) -> dict[str, Any]:
    """The dashboard as DashboardOutput reads it: counts with their lists' URLs; rows as the read model has them."""
    h, f = board.headline, board.filters
    return {
        "filters": {
            "team": f.team or None,
            "project": f.project,
            "category": f.category or None,
            "treatment": f.treatment or None,
        },
        "currency": board.scales.currency,
        "appetite": _appetite(board.scales),
        "headline": {
            "risks": counted(h.risks, links.risks()),
            "scored": counted(h.scored, links.risks(level=[str(level) for level in LEVELS])),
            "above_appetite": {
                **counted(h.above_count, links.risks(appetite="above")),
                "ale_mean": h.above_ale,
            },
            "accepted": counted(h.accepted_count, links.risks(acceptance="in_force")),
            "residual_ale": h.residual_ale,
            "inherent_ale": h.inherent_ale,
        },
        "heat_maps": {stage: _cells(board, stage, links) for stage in CELL_STAGES},
        "top_risks": board.top_risks,
        "teams": board.teams,
        "projects": board.projects,
        "project_count": counted(board.project_count, links.projects()),
        "review_queue": {
            "in_review": counted(board.in_review, links.project_work("api_threat_list", status="in_review")),
            "new_since_review": counted(
                board.new_since_review, links.project_work("api_threat_list", new="since_review")
            ),
            "rows": [_review_row(row, links) for row in board.review],
        },
        "overdue_controls": {
            **counted(board.overdue_count, links.project_work("api_control_list", due="overdue")),
            "rows": board.overdue_controls,
        },
        "acceptances": {
            "expiring": counted(board.expiring_count, links.risks(acceptance="expiring")),
            "expired": counted(board.expired_count, links.risks(acceptance="expired")),
            "rows": board.acceptances,
        },
        "projects_not_reviewed": {
            **counted(board.stale_count, links.projects(review="overdue")),
            "rows": board.stale_projects,
        },
        "portfolio": _portfolio(board.portfolio, links),
        "trend": _trend(board.trend),
    }


def _appetite(scales: Scales) -> dict[str, Any]:
    amount, probability = scales.tolerance_amount, scales.tolerance_probability
    tolerance = (
        None if amount is None or probability is None else {"amount": amount, "probability": probability}
    )
    return {"level": scales.appetite_level, "tolerance": tolerance}


def _cells(board: Dashboard, stage: str, links: Links) -> list[dict[str, Any]]:
    counts = board.heat[stage]
    return [
        {
            "likelihood": likelihood,
            "impact": impact,
            "level": board.scales.matrix.level(likelihood, impact),
            "count": counts.get((likelihood, impact), 0),
            "risks": links.risks(stage=stage, likelihood=likelihood, impact=impact),
        }
        for likelihood in LEVELS
        for impact in LEVELS
    ]


def _review_row(row: ReviewRow, links: Links) -> dict[str, Any]:
    threats = links.to("api_threat_list", row.project_id)
    return {
        "project": row.project_id,
        "name": row.name,
        "team": row.team,
        "in_review": counted(row.in_review, threats + "?status=in_review"),
        "new_since_review": counted(row.new_since_review, threats + "?new=since_review"),
        "last_reviewed_on": row.last_reviewed_on,
        "url": links.to("api_project_detail", row.project_id),
    }


def _portfolio(stored: StoredFigures | None, links: Links) -> dict[str, Any] | None:
    if stored is None:
        return None
    stages = {"inherent": stored.inherent, "residual": stored.residual, "projected": stored.projected}
    return {
        "computed_at": stored.computed_at,
        "stale": stored.stale,
        **{
            name: {
                "ale_mean": figures.ale_mean,
                "p90": figures.percentiles["p90"],
                "p_exceeding_tolerance": figures.p_exceeding_tolerance,
            }
            for name, figures in stages.items()
        },
        "url": links.to("api_portfolio"),
    }


def _trend(trend: Trend | None) -> list[dict[str, Any]] | None:
    if trend is None:
        return None
    days = zip(trend.days, trend.above_count, trend.above_ale, trend.residual_ale, strict=True)
    return [
        {"date": day, "above_appetite_count": count, "above_appetite_ale": above, "residual_ale": residual}
        for day, count, above, residual in days
    ]


# The endpoint -----------------------------------------------------------------------------------------------

DASHBOARD_FILTERS = [
    query_parameter(
        "team",
        "Narrow everything to this team (its slug): its projects' work, and the business "
        "risks its threats lead to.",
    ),
    OpenApiParameter(
        "project",
        OpenApiTypes.INT,
        description="Narrow everything to this project (its id): its work, and the business risks its threats "
        "lead to.",
    ),
    query_parameter(
        "category",
        "Only business risks of this category, and the threats that lead to them; the work is not narrowed.",
        Category.values,
    ),
    query_parameter(
        "treatment",
        "Only business risks with this treatment, and the threats that lead to them; the work is not narrowed.",
        Treatment.values,
    ),
]


@extend_schema(tags=["dashboards"], parameters=[ORG_SLUG])
class DashboardApi(JsonApiView):
    @extend_schema(
        operation_id="dashboard_retrieve",
        summary="The risk dashboard: risk against appetite, heat maps, top risks and the work waiting",
        description="The figures of the organisation's dashboard page, narrowed by the same query parameters, "
        "each count with the URL of the API list it counts. The portfolio and the trend are the whole "
        "organisation's, so they are null when the dashboard is narrowed.",
        parameters=[*DASHBOARD_FILTERS, IF_NONE_MATCH, LIST_ETAG],
        responses=answers({200: DashboardOutput, 304: NOT_MODIFIED}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        filters = DashboardFilters.from_query(request.query_params)
        board = dashboard(membership.organisation, filters, timezone.localdate(), with_choices=False)
        links = Links(request, board)
        data = DashboardOutput(figures_of(board, links), context={"links": links}).data
        return tagged(request, data, list_etag(request, data))

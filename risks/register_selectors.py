"""Reads of the business-risk register, for the pages and the API alike: the organisation's risks (filtered,
searched, sorted, with their stored residual level and expected loss), one risk by number, its scenarios and
acceptances, and a threat named by project and number. Every read starts from the member's organisation, so
nothing of another organisation can be named.

Stored figures are read through risks.selectors; what a scenario scores now comes from risks.inputs.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404
from django.utils import timezone

from projects.models import Asset, Organisation, Project, Team, Threat
from projects.query import query_int, query_text
from risks.inputs import Scales, Stage
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    Category,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    Treatment,
)
from risks.scoring.levels import LEVELS, Level

UNSCORED = "none"  # the level filter's value for risks with no stored residual level
EXPIRING_WITHIN = datetime.timedelta(days=30)  # an acceptance running out within this is shown as expiring
CELL_STAGES = (Stage.INHERENT, Stage.RESIDUAL)  # the heat maps' stages
LEVEL_NAMES = frozenset(str(level) for level in LEVELS)
ACCEPTANCE_FILTERS = {
    "in_force": "with an approved acceptance in force",
    "expiring": "with an acceptance in force that runs out within 30 days",
    "expired": "whose acceptance ran out, with none in force",
}

RISK_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "number": ("number",),
    "-number": ("-number",),
    "title": ("title", "number"),
    "-title": ("-title", "number"),
    "level": (F("residual_rank").asc(nulls_first=True), "number"),
    "-level": (F("residual_rank").desc(nulls_last=True), "number"),
    "ale": (F("residual_ale").asc(nulls_first=True), "number"),
    "-ale": (F("residual_ale").desc(nulls_last=True), "number"),
    "owner": (F("owner__name").asc(nulls_last=True), "number"),
    "-owner": (F("owner__name").desc(nulls_last=True), "number"),
    "review_on": (F("review_on").asc(nulls_last=True), "number"),
    "-review_on": (F("review_on").desc(nulls_last=True), "number"),
    "updated": ("-updated_at", "number"),
}


@dataclass(frozen=True)
class RiskFilters:
    category: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    treatment: tuple[str, ...] = ()
    owner: int | None = None  # a user id
    unowned: bool = False
    level: tuple[str, ...] = ()  # stored residual levels, or UNSCORED
    above_appetite: bool = False  # residual figures above appetite and not accepted (above_appetite())
    team: str = ""  # a team slug: risks its projects' threats lead to
    project: int | None = None  # a project id: risks its threats lead to
    cell_stage: str = ""  # with likelihood and impact: risks in that cell of the stage's heat map
    likelihood: str = ""
    impact: str = ""
    acceptance: str = (
        ""  # "expiring": approved, running out within 30 days; "expired": ran out, none in force
    )
    q: str = ""
    order: str = "number"

    @classmethod
    def from_query(cls, query: Any) -> "RiskFilters":
        """From a QueryDict of GET parameters; unknown values are ignored, as the workspace lists do."""
        owner = query.get("owner", "")
        project = query.get("project", "")
        return cls(
            category=tuple(c for c in query.getlist("category") if c in Category.values),
            status=tuple(s for s in query.getlist("status") if s in RiskStatus.values),
            treatment=tuple(t for t in query.getlist("treatment") if t in Treatment.values),
            owner=query_int(owner),
            unowned=owner == "none",
            level=tuple(lvl for lvl in query.getlist("level") if lvl in {*Level, UNSCORED}),
            above_appetite=query.get("appetite") == "above",
            team=query_text(query.get("team", ""), 100),
            project=query_int(project),
            cell_stage=query.get("stage") if query.get("stage") in CELL_STAGES else "",
            likelihood=query.get("likelihood")
            if query.get("likelihood") in Level.__members__.values()
            else "",
            impact=query.get("impact") if query.get("impact") in Level.__members__.values() else "",
            acceptance=query.get("acceptance") if query.get("acceptance") in ACCEPTANCE_FILTERS else "",
            q=query_text(query.get("q", ""), 200).strip(),
            order=query.get("order") if query.get("order") in RISK_ORDERINGS else "number",
        )

    @property
    def active(self) -> bool:
        chosen = (self.category, self.status, self.treatment, self.owner, self.unowned, self.level)
        scope = (self.team, self.project, self.cell, self.acceptance)
        return any(chosen) or any(scope) or self.above_appetite or bool(self.q)

    @property
    def hidden_params(self) -> list[tuple[str, str]]:
        """The narrowing the register's filter form has no control for, to carry along as hidden fields."""
        chosen = [("team", self.team), ("project", str(self.project or "")), ("acceptance", self.acceptance)]
        if self.cell is not None:
            chosen += list(zip(("stage", "likelihood", "impact"), self.cell, strict=True))
        return [(name, value) for name, value in chosen if value]

    @property
    def cell(self) -> tuple[str, str, str] | None:
        """The heat-map cell asked for (stage, likelihood, impact), when all three are given."""
        if self.cell_stage and self.likelihood and self.impact:
            return self.cell_stage, self.likelihood, self.impact
        return None


def scored_risks(
    organisation: Organisation | int, today: datetime.date | None = None
) -> QuerySet[BusinessRisk]:
    """The organisation's business risks with their stored residual figures as columns: `residual_level` (None
    when unscored), `residual_rank` (-1 when unscored), `residual_ale`, `residual_tolerance` (the chance of a
    year above the tolerance amount) and `accepted` (an approved acceptance in force on `today`). The
    dashboards, the daily snapshots and the register all count from here, with above_appetite() saying which
    are above the line. The figures are RiskResult's columns, copied from its JSON as it is written."""
    today = today or timezone.localdate()
    in_force = RiskAcceptance.objects.filter(
        risk=OuterRef("pk"), status=AcceptanceStatus.APPROVED, expires_on__gte=today
    )
    return BusinessRisk.objects.filter(organisation=organisation).annotate(
        residual_level=NullIf(F("result__residual_level"), Value("")),
        residual_rank=Coalesce(F("result__residual_rank"), -1),
        residual_ale=F("result__residual_ale"),
        residual_tolerance=F("result__residual_tolerance"),
        accepted=Exists(in_force),
    )


def above_appetite(scales: Scales) -> Q:
    """Over scored_risks(): the residual figures are above appetite (the level above the appetite level, or
    the chance of a year above the tolerance amount above the tolerated chance), scored, and no acceptance is
    in force, as risks.appetite.position_of says it of one risk."""
    above = Q(residual_rank__gt=scales.appetite_level.rank)
    if scales.tolerance_probability is not None:
        above |= Q(residual_tolerance__gt=scales.tolerance_probability)
    return above & Q(residual_level__isnull=False, accepted=False)


def fed_by(team: str = "", project: int | None = None) -> Q:
    """Over business risks: those that threats of the team's projects (or of the project) lead to."""
    threats = Q()
    if team:
        threats &= Q(threat__project__team__slug=team)
    if project:
        threats &= Q(threat__project_id=project)
    return Q(Exists(Scenario.objects.filter(threats, risk=OuterRef("pk"))))


def in_cell(stage: str, likelihood: str, impact: str) -> Q:
    """Over business risks: those whose stored `stage` figures sit in the (likelihood, impact) cell."""
    return Q(**{f"result__{stage}_likelihood": likelihood, f"result__{stage}_impact": impact})


def acceptance_running_out(kind: str, today: datetime.date) -> Q:
    """Over business risks, by their approved acceptances (ACCEPTANCE_FILTERS): "in_force", one is in force;
    "expiring", one in force runs out within 30 days and none runs longer; "expired", the last one ran out and
    none is in force."""
    approved = RiskAcceptance.objects.filter(risk=OuterRef("pk"), status=AcceptanceStatus.APPROVED)
    beyond = approved.filter(expires_on__gt=today + EXPIRING_WITHIN)
    if kind == "in_force":
        return Q(Exists(approved.filter(expires_on__gte=today)))
    if kind == "expiring":
        return Q(
            Exists(approved.filter(expires_on__gte=today, expires_on__lte=today + EXPIRING_WITHIN))
        ) & ~Q(Exists(beyond))
    return Q(Exists(approved.filter(expires_on__lt=today))) & ~Q(
        Exists(approved.filter(expires_on__gte=today))
    )


def risks_of(
    organisation: Organisation | int,
    filters: RiskFilters | None = None,
    scales: Scales | None = None,
    today: datetime.date | None = None,
) -> QuerySet[BusinessRisk]:
    """The organisation's business risks with their owner, scenario count and stored residual figures (see
    scored_risks), filtered and sorted. `scales` give the appetite, for the above-appetite filter."""
    filters = filters or RiskFilters()
    today = today or timezone.localdate()
    risks = (
        scored_risks(organisation, today)
        .select_related("owner", "organisation")
        .annotate(scenario_count=Count("scenarios"))
    )
    if filters.category:
        risks = risks.filter(categories__overlap=list(filters.category))
    if filters.status:
        risks = risks.filter(status__in=filters.status)
    if filters.treatment:
        risks = risks.filter(treatment__in=filters.treatment)
    if filters.owner:
        risks = risks.filter(owner=filters.owner)
    if filters.unowned:
        risks = risks.filter(owner__isnull=True)
    if filters.level:
        scored = [lvl for lvl in filters.level if lvl != UNSCORED]
        match = Q(result__residual_level__in=scored) if scored else Q(pk__in=[])
        if UNSCORED in filters.level:
            match |= Q(result__isnull=True) | Q(result__residual_level="")
        risks = risks.filter(match)
    if filters.above_appetite and scales is not None:
        risks = risks.filter(above_appetite(scales))
    if filters.team or filters.project:
        risks = risks.filter(fed_by(filters.team, filters.project))
    if filters.cell is not None:
        risks = risks.filter(in_cell(*filters.cell))
    if filters.acceptance:
        risks = risks.filter(acceptance_running_out(filters.acceptance, today))
    if filters.q.strip():
        text = filters.q.strip()
        reference = text.upper().removeprefix("R-")
        match = Q(title__icontains=text) | Q(description__icontains=text)
        if (number := query_int(reference, digits=9)) is not None:
            match |= Q(number=number)
        risks = risks.filter(match)
    return risks.order_by(*RISK_ORDERINGS[filters.order])


def scope_of(organisation: Organisation, filters: RiskFilters) -> list[str]:
    """The narrowing that the register's own filter controls do not show (a team, a project, a heat-map cell,
    acceptances running out: the dashboard's links), in words, so the page says why it lists what it lists."""
    said = []
    if filters.team:
        team = Team.objects.filter(organisation=organisation, slug=filters.team).values_list(
            "name", flat=True
        )
        said.append(f"caused by threats of team {team.first() or filters.team}")
    if filters.project:
        project = Project.objects.filter(organisation=organisation, pk=filters.project)
        said.append(f"caused by threats of project {project.values_list('name', flat=True).first() or '?'}")
    if filters.cell is not None:
        stage, likelihood, impact = filters.cell
        said.append(
            f"in the {stage} heat-map cell of {likelihood.replace('_', ' ')} likelihood by "
            f"{impact.replace('_', ' ')} impact"
        )
    if filters.acceptance:
        said.append(ACCEPTANCE_FILTERS[filters.acceptance])
    return said


def risk_of(organisation: Organisation, number: int) -> BusinessRisk:
    """One of the organisation's risks by number (R-12 is 12): 404 when it has none."""
    found = risks_of(organisation).filter(number=number).first()
    if found is None:
        raise Http404("No such business risk.")
    return found


def scenarios_of(risk: BusinessRisk) -> QuerySet[Scenario]:
    """The risk's scenarios, by project then threat number."""
    return (
        Scenario.objects.filter(risk=risk)
        .select_related("risk__organisation", "threat__project")
        .prefetch_related(Prefetch("threat__impacted_assets", queryset=Asset.objects.order_by("name")))
        .order_by("threat__project__name", "threat__project_id", "threat__number")
    )


def scenario_of(risk: BusinessRisk, scenario_id: int) -> Scenario:
    found = scenarios_of(risk).select_related("threat__project__team").filter(pk=scenario_id).first()
    if found is None:
        raise Http404("No such scenario.")
    return found


def acceptances_of(risk: BusinessRisk) -> QuerySet[RiskAcceptance]:
    """The risk's acceptance requests and decisions, the newest first."""
    return RiskAcceptance.objects.filter(risk=risk).select_related("requested_by", "decided_by")


def acceptance_of(risk: BusinessRisk, acceptance_id: int) -> RiskAcceptance:
    found = acceptances_of(risk).select_related("risk").filter(pk=acceptance_id).first()
    if found is None:
        raise Http404("No such acceptance.")
    return found


def threat_in(organisation: Organisation, project_id: int, number: int) -> Threat | None:
    """A threat of one of the organisation's projects, by the project's id and the threat's number."""
    return (
        Threat.objects.filter(project__organisation=organisation, project_id=project_id, number=number)
        .select_related("project", "project__team")
        .first()
    )

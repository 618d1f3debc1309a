"""A project's threat model on paper: its system (the data-flow diagram, and its trust zones, assets, components
and flows as tables), every threat with its statement, STRIDE, status, likelihood, owner, controls and the
business risks it leads to, the controls plan, and a summary of its history.

It has to stay usable at 1,000 threats, so every read is a fixed number of queries whatever the number of threats
(each list is one query, joined here in Python), and the template is handed plain values for plain table rows:
WeasyPrint's layout time grows with the size of the page's DOM, not with the queries behind it.
"""

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from projects import attention
from projects import workspace_selectors as selectors
from projects.drawings import DiagramView, drawn
from projects.models import (
    Asset,
    Component,
    Control,
    ControlStatus,
    DataFlow,
    Project,
    Stride,
    Threat,
    ThreatControl,
    ThreatStatus,
    TrustZone,
)
from reports.models import Report
from reports.print_register import names_printed
from reports.printable import Printable, Progress
from risks import inputs
from risks.models import BusinessRisk, Scenario, ScoringSettings
from risks.money import format_money
from risks.threat_scenarios import level_label, likelihood_of_threat

TEMPLATE = "reports/print/project.html"
LATEST_CHANGES = 25  # the history's latest changes, listed one by one
HISTORY_MONTHS = 12  # the history's counts, month by month

# What the report reads, for its fingerprint ------------------------------------------------------------------


def _project_of(report: Report, projects: QuerySet[Project]) -> Project:
    """The report's project, looked up in the report's organisation only."""
    if report.project_id is None:
        raise Project.DoesNotExist("A project report names its project.")
    return projects.get(pk=report.project_id, organisation=report.organisation_id)


def _parts(project: Project) -> dict[str, QuerySet[Any]]:
    """Every kind of row the report reads, each once (every one is versioned, with its own updated_at)."""
    scenarios = Scenario.objects.filter(threat__project=project.pk)
    return {
        "project": Project.objects.filter(pk=project.pk),
        "zones": TrustZone.objects.filter(project=project.pk),
        "assets": Asset.objects.filter(project=project.pk),
        "components": Component.objects.filter(project=project.pk),
        "flows": DataFlow.objects.filter(project=project.pk),
        "threats": Threat.objects.filter(project=project.pk),
        "controls": Control.objects.filter(project=project.pk),
        "links": ThreatControl.objects.filter(control__project=project.pk),
        "scenarios": scenarios,
        # A risk's title is printed beside its scenarios, and its impact sets their level; the scoring settings
        # name the likelihood levels and hold the matrix and the currency.
        "risks": BusinessRisk.objects.filter(pk__in=scenarios.values("risk")),
        "scoring": ScoringSettings.objects.filter(organisation=project.organisation_id),
    }


def fingerprint(report: Report) -> str:
    """For each kind of row the report reads (the project's own included), how many there are, the sum of their
    versions and the latest change, in one query: the same on unchanged data, different after any edit (a
    version goes up, updated_at moves) or deletion (the count drops)."""
    project = _project_of(report, Project.objects.only("pk", "organisation_id"))
    aggregates = [
        rows.order_by()
        .annotate(part=Value(name))
        .values("part")
        .annotate(count=Count("pk"), versions=Sum("version"), latest=Max("updated_at"))
        for name, rows in _parts(project).items()
    ]
    figures = aggregates[0].union(*aggregates[1:], all=True).order_by()
    read = [
        report.paper,
        sorted((row["part"], row["count"], row["versions"], row["latest"]) for row in figures),
        names_printed(project.organisation_id),
    ]
    return hashlib.sha256(json.dumps(read, default=str).encode()).hexdigest()


# The rows the template prints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlOfThreat:
    title: str
    effectiveness: int  # per cent
    status: str


@dataclass(frozen=True)
class RiskOfThreat:
    """A business risk the threat leads to (a scenario), with the scenario's residual level."""

    reference: str
    title: str
    residual: str  # the level's name, "" when the scenario is not scored yet


@dataclass(frozen=True)
class ThreatRow:
    reference: str
    statement: str
    stride: str  # the categories' names, comma separated
    targets: str  # the components and flows it targets, comma separated
    status: str
    likelihood: str
    owner: str
    controls: tuple[ControlOfThreat, ...]
    risks: tuple[RiskOfThreat, ...]


@dataclass(frozen=True)
class ControlRow:
    title: str
    kind: str
    owner: str
    due_on: datetime.date | None
    overdue: bool
    cost: str  # a year, in the organisation's currency; "" when not given
    effort_days: str
    threats: str  # the references of the threats it addresses, comma separated


@dataclass(frozen=True)
class ControlGroup:
    status: str
    controls: tuple[ControlRow, ...]


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


@dataclass(frozen=True)
class MonthOfChanges:
    month: datetime.date
    counts: tuple[int, ...]  # in the order of HISTORY_KINDS
    total: int


@dataclass(frozen=True)
class History:
    kinds: tuple[str, ...]
    months: tuple[MonthOfChanges, ...]
    total: int
    latest: tuple[selectors.Change, ...]


def _names(items: Iterable[Any]) -> str:
    return ", ".join(str(item) for item in items)


def _person(user: Any) -> str:
    return user.display_name if user is not None else ""


# The system ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class System:
    zones: list[TrustZone]
    assets: list[Asset]
    components: list[Component]
    flows: list[DataFlow]
    diagram: DiagramView


def system_of(project: Project) -> System:
    """The system as the Model page shows it, and its diagram drawn from the same rows."""
    zones = list(selectors.zones_of(project))
    components = list(selectors.component_rows_of(project))
    flows = list(selectors.flow_rows_of(project))
    return System(
        zones=zones,
        assets=list(selectors.assets_of(project)),
        components=components,
        flows=flows,
        diagram=drawn(zones, components, flows),
    )


# The threats --------------------------------------------------------------------------------------------------


def _risks_by_threat(project: Project, settings: ScoringSettings) -> dict[int, list[RiskOfThreat]]:
    """The business risks each threat leads to, by risk number, with the scenario's residual level worked out
    as the threat's page works it out (risks.inputs: the threat's likelihood after its controls in force, by
    the risk's impact, through the organisation's matrix)."""
    scenarios = list(
        Scenario.objects.filter(threat__project=project, risk__organisation=project.organisation_id)
        .order_by("risk__number")
        .values_list("threat_id", "risk_id", "risk__number", "risk__title")
    )
    risk_ids = {risk_id for _, risk_id, _, _ in scenarios}
    residual = inputs.Counted.stage(inputs.Stage.RESIDUAL)
    levels: dict[tuple[int, int], str] = {}
    of_project = inputs.risk_inputs(project.organisation, risk_ids, settings, project=project.pk)
    for risk in of_project if risk_ids else ():
        for scenario in risk.scenarios:
            level = scenario.level(risk.scales, risk.impact, residual)
            levels[(risk.risk_id, scenario.threat_id)] = level_label(level)
    found: dict[int, list[RiskOfThreat]] = defaultdict(list)
    for threat_id, risk_id, number, title in scenarios:
        found[threat_id].append(RiskOfThreat(f"R-{number}", title, levels.get((risk_id, threat_id), "")))
    return found


@dataclass(frozen=True)
class Link:
    """A control on a threat, as both the threats and the controls plan print it."""

    threat_id: int
    threat_number: int
    control_id: int
    title: str
    status: str
    effectiveness: int


def _links(project: Project) -> list[Link]:
    fields = (
        "threat_id",
        "threat__number",
        "control_id",
        "control__title",
        "control__status",
        "effectiveness",
    )
    return [Link(*row) for row in selectors.links_of(project).values_list(*fields)]


def threat_rows(project: Project, settings: ScoringSettings, links: list[Link]) -> list[ThreatRow]:
    controls: dict[int, list[ControlOfThreat]] = defaultdict(list)
    for link in links:
        controls[link.threat_id].append(
            ControlOfThreat(link.title, link.effectiveness, str(ControlStatus(link.status).label).lower())
        )
    risks = _risks_by_threat(project, settings)
    return [
        ThreatRow(
            reference=threat.reference,
            statement=threat.statement,
            stride=_names(Stride(letter).label for letter in threat.stride),
            targets=_names([*threat.target_components.all(), *threat.target_flows.all()]),
            status=threat.get_status_display(),
            likelihood=likelihood_of_threat(threat, settings).text,
            owner=_person(threat.owner),
            controls=tuple(controls[threat.pk]),
            risks=tuple(risks[threat.pk]),
        )
        for threat in selectors.threats_of(project).order_by("number")
    ]


def _tally(labels: Iterable[str], order: Iterable[str]) -> list[Tally]:
    counts: dict[str, int] = defaultdict(int)
    for label in labels:
        counts[label] += 1
    return [Tally(label, counts[label]) for label in order if counts[label]]


# The controls plan --------------------------------------------------------------------------------------------


def controls_plan(
    project: Project, settings: ScoringSettings, links: list[Link], today: datetime.date
) -> list[ControlGroup]:
    """The controls by status in their workflow's order, each group by due date (undated last) then title,
    with the threats each addresses."""
    threats: dict[int, list[str]] = defaultdict(list)
    for link in links:  # by threat number
        threats[link.control_id].append(f"T-{link.threat_number}")
    by_status: dict[str, list[ControlRow]] = defaultdict(list)
    overdue = ExpressionWrapper(attention.control_overdue(today), output_field=BooleanField())
    controls = (
        project.controls.select_related("owner")
        .annotate(is_overdue=overdue)
        .order_by("due_on", "title", "pk")
    )
    for control in controls:
        by_status[control.status].append(
            ControlRow(
                title=control.title,
                kind=control.get_kind_display(),
                owner=_person(control.owner),
                due_on=control.due_on,
                overdue=control.is_overdue,
                cost=format_money(float(control.cost_per_year), settings.currency)
                if control.cost_per_year is not None
                else "",
                effort_days=f"{control.effort_days:g}" if control.effort_days is not None else "",
                threats=", ".join(threats[control.pk]),
            )
        )
    return [
        ControlGroup(str(status.label), tuple(by_status[status]))
        for status in ControlStatus
        if by_status[status]
    ]


# The history --------------------------------------------------------------------------------------------------

# What the history counts, by the model of its events: the project's own events are left out, as most of them
# are its threat counter moving on.
HISTORY_KINDS = {
    "Model": (
        "projects.TrustZoneEvent",
        "projects.AssetEvent",
        "projects.ComponentEvent",
        "projects.DataFlowEvent",
    ),
    "Threats": ("projects.ThreatEvent",),
    "Controls": ("projects.ControlEvent",),
}


def _months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The start of the month `months` before the moment's."""
    index = moment.year * 12 + moment.month - 1 - months
    return moment.replace(
        year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def history_of(project: Project, as_of: datetime.datetime) -> History:
    """Changes to the model, threats and controls month by month over the last year (one aggregate over the
    history the triggers keep), and the latest changes as the project's history page reads them."""
    kind_of = {model: kind for kind, models in HISTORY_KINDS.items() for model in models}
    since = _months_before(timezone.localtime(as_of), HISTORY_MONTHS - 1)
    rows = (
        selectors.history_events(project)
        .order_by()
        .filter(pgh_model__in=list(kind_of), pgh_created_at__gte=since)
        .annotate(month=TruncMonth("pgh_created_at"))
        .values("month", "pgh_model")
        .annotate(count=Count("*"))
    )
    counts: dict[datetime.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[row["month"].date()][kind_of[row["pgh_model"]]] += row["count"]
    months = tuple(
        MonthOfChanges(month, tuple(by_kind[kind] for kind in HISTORY_KINDS), sum(by_kind.values()))
        for month, by_kind in sorted(counts.items(), reverse=True)
    )
    latest = selectors.changes_from(selectors.history_events(project)[:LATEST_CHANGES])
    return History(tuple(HISTORY_KINDS), months, sum(month.total for month in months), tuple(latest))


# The report ---------------------------------------------------------------------------------------------------


def build(report: Report, progress: Progress) -> Printable:
    as_of = timezone.now()
    project = _project_of(report, Project.objects.select_related("organisation", "team"))
    settings = inputs.settings_of(project.organisation)
    progress(10, "Drawing the system")
    system = system_of(project)
    progress(25, "Reading the threats")
    links = _links(project)
    threats = threat_rows(project, settings, links)
    progress(40, "Reading the controls plan")
    plan = controls_plan(project, settings, links, timezone.localdate(as_of))
    progress(50, "Summing up the history")
    history = history_of(project, as_of)
    context = {
        "project": project,
        "organisation": project.organisation,
        "system": system,
        "threats": threats,
        "threats_by_status": _tally((threat.status for threat in threats), ThreatStatus.labels),
        "controls_plan": plan,
        "control_count": sum(len(group.controls) for group in plan),
        "history": history,
    }
    progress(55, "Everything read")
    return Printable(template=TEMPLATE, context=context, as_of=as_of)

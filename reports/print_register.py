"""The business-risk register on paper: every risk with its owner, treatment, acceptance and stored inherent,
residual and projected figures, and the scenarios (threats, with their projects) that lead to it.

The rows come from the register's own reads (risks.register_selectors, risks.selectors, risks.register,
risks.pages.register_rows), so the paper says what the register page says. Each risk prints its SCENARIOS_SHOWN
threats with the largest share of its residual loss and says how many more there are (a large estate links
hundreds of threats to one risk: every one on paper would be thousands of pages that no one reads; the register
page lists them all). A fixed number of queries however many risks and scenarios there are.
"""

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, F, Max, Prefetch, QuerySet, StringAgg, Value, Window
from django.db.models.functions import Concat, RowNumber
from django.utils import timezone

from projects.models import Asset, Membership, Project, Team, Threat
from reports.models import Report
from reports.printable import Printable, Progress
from risks import inputs, register, register_selectors, selectors
from risks.appetite import Standing
from risks.inputs import Stage
from risks.models import BusinessRisk, RiskAcceptance, RiskResult, Scenario, ScoringSettings
from risks.pages import STAGE_LABELS, Register, register_rows
from risks.selectors import StageFigures

TEMPLATE = "reports/print/register.html"
SCENARIOS_SHOWN = 25


# What the report reads, for its fingerprint ------------------------------------------------------------------


def register_parts(organisation_id: int) -> dict[str, tuple[QuerySet[Any], str]]:
    """Every kind of row the register prints, with the field that moves when one changes."""
    return {
        "risks": (BusinessRisk.objects.filter(organisation=organisation_id), "updated_at"),
        "scenarios": (Scenario.objects.filter(risk__organisation=organisation_id), "updated_at"),
        "threats": (Threat.objects.filter(scenarios__risk__organisation=organisation_id), "updated_at"),
        "assets": (
            Asset.objects.filter(project__organisation=organisation_id),
            "updated_at",
        ),  # in statements
        "projects": (Project.objects.filter(organisation=organisation_id), "updated_at"),
        "acceptances": (RiskAcceptance.objects.filter(risk__organisation=organisation_id), "updated_at"),
        "results": (RiskResult.objects.filter(risk__organisation=organisation_id), "computed_at"),
        "scoring": (ScoringSettings.objects.filter(organisation=organisation_id), "updated_at"),
    }


def names_printed(organisation_id: int) -> list[str | None]:
    """The members' names and e-mail addresses and the teams' names, which every report prints (owners, who
    accepted, which team) but which carry no time of change: read whole, so a rename makes a new file rather
    than reusing one with the old name. Two queries."""
    person = Concat("user__name", Value("\x1f"), "user__email", output_field=CharField())
    return [
        Membership.objects.filter(organisation=organisation_id)
        .order_by()
        .aggregate(names=StringAgg(person, Value("\x1e"), order_by="user_id"))["names"],
        Team.objects.filter(organisation=organisation_id)
        .order_by()
        .aggregate(names=StringAgg("name", Value("\x1e"), order_by="pk"))["names"],
    ]


def fingerprint_of(read: list[Any], parts: Mapping[str, tuple[QuerySet[Any], str]]) -> str:
    """A sha256 of `read` and, for each kind of row, how many there are and the latest change: the same on
    unchanged data, different after an edit (the field moves), an addition or a deletion (the count)."""
    for name, (rows, field) in parts.items():
        figures = rows.order_by().aggregate(count=Count("pk", distinct=True), latest=Max(field))
        read.append([name, figures["count"], figures["latest"]])
    return hashlib.sha256(json.dumps(read, default=str).encode()).hexdigest()


def fingerprint(report: Report) -> str:
    organisation_id = report.organisation_id
    return fingerprint_of(
        # Acceptances run out by the day.
        [report.kind, report.paper, timezone.localdate(), names_printed(organisation_id)],
        register_parts(organisation_id),
    )


# The rows the template prints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioLine:
    """A threat that leads to the risk, with the stored levels and share of the loss of its scenario."""

    reference: str
    statement: str
    project: str
    note: str
    inherent_level: str | None
    residual_level: str | None
    residual_ale: float | None  # its share of the risk's residual expected annual loss; None: not computed


@dataclass(frozen=True)
class Entry:
    row: Register  # the risk, its stored figures, its position against appetite, its acceptances
    scenarios: list[ScenarioLine]  # the SCENARIOS_SHOWN with the largest share of the residual loss
    scenario_count: int  # all of them

    @property
    def more(self) -> int:
        return self.scenario_count - len(self.scenarios)

    @property
    def stages(self) -> list[tuple[str, StageFigures]]:
        """(label, stored figures) of the inherent, residual and projected stages, as the risk's page names
        them; none when the risk was never computed."""
        figures = self.row.figures
        if figures is None:
            return []
        return [(STAGE_LABELS[stage][0], getattr(figures, stage.value)) for stage in Stage]


@dataclass(frozen=True)
class Totals:
    risks: int
    above: int
    accepted: int
    unscored: int
    inherent_ale: float
    residual_ale: float
    projected_ale: float


def build(report: Report, progress: Progress) -> Printable:
    organisation = report.organisation
    today = timezone.localdate()
    progress(10, "Reading the register")
    scales = inputs.Scales.of(inputs.settings_of(organisation))
    risks = list(register_selectors.risks_of(organisation, scales=scales, today=today))
    ids = [risk.pk for risk in risks]
    progress(25, "Reading the stored figures")
    rows = register_rows(
        risks, selectors.stored_figures(organisation, ids), register.acceptances_by_risk(ids), scales
    )
    progress(40, "Reading the scenarios")
    scenarios, counts = _scenarios(organisation.pk), _scenario_counts(organisation.pk)
    entries = [Entry(row, scenarios.get(row.risk.pk, []), counts.get(row.risk.pk, 0)) for row in rows]
    progress(55, "Adding up")
    context = {
        "entries": entries,
        "totals": _totals(rows),
        "scales": scales,
        "currency": scales.currency,
        "iterations": inputs.ITERATIONS,
        "stale": any(row.figures.stale for row in rows if row.figures is not None),
        "today": today,
    }
    return Printable(template=TEMPLATE, context=context, as_of=_as_of(rows))


def _scenarios(organisation_id: int) -> dict[int, list[ScenarioLine]]:
    """Each risk's SCENARIOS_SHOWN scenarios with the largest share of its residual loss (then by project and
    threat), ranked in SQL: two queries however many."""
    found: dict[int, list[ScenarioLine]] = defaultdict(list)
    largest_first = (
        F("result__residual_ale").desc(nulls_last=True),
        F("threat__project__name").asc(),
        F("threat__project_id").asc(),
        F("threat__number").asc(),
    )
    scenarios = (
        Scenario.objects.filter(risk__organisation=organisation_id)
        .annotate(rank=Window(RowNumber(), partition_by=[F("risk_id")], order_by=largest_first))
        .filter(rank__lte=SCENARIOS_SHOWN)
        .select_related("threat__project", "result")
        .prefetch_related(Prefetch("threat__impacted_assets", queryset=Asset.objects.order_by("name")))
        .order_by("risk_id", "rank")
    )
    for scenario in scenarios:
        result = getattr(scenario, "result", None)
        found[scenario.risk_id].append(
            ScenarioLine(
                reference=scenario.threat.reference,
                statement=scenario.threat.statement,
                project=scenario.threat.project.name,
                note=scenario.note,
                inherent_level=(result.inherent_level or None) if result is not None else None,
                residual_level=(result.residual_level or None) if result is not None else None,
                residual_ale=result.residual_ale if result is not None else None,
            )
        )
    return found


def _scenario_counts(organisation_id: int) -> dict[int, int]:
    rows = (
        Scenario.objects.filter(risk__organisation=organisation_id)
        .order_by()
        .values("risk_id")
        .annotate(n=Count("pk"))
    )
    return {row["risk_id"]: row["n"] for row in rows}


def _totals(rows: list[Register]) -> Totals:
    figures = [row.figures for row in rows if row.figures is not None]
    standings = [row.position.standing for row in rows]
    return Totals(
        risks=len(rows),
        above=standings.count(Standing.ABOVE),
        accepted=standings.count(Standing.ACCEPTED),
        unscored=standings.count(Standing.UNSCORED),
        inherent_ale=sum(each.inherent.ale_mean for each in figures),
        residual_ale=sum(each.residual.ale_mean for each in figures),
        projected_ale=sum(each.projected.ale_mean for each in figures),
    )


def _as_of(rows: list[Register]) -> datetime.datetime:
    """When the figures were computed (the latest run); now, when none ever was."""
    computed = [row.figures.computed_at for row in rows if row.figures is not None]
    return max(computed) if computed else timezone.now()

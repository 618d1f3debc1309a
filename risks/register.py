"""Reads behind the register's pages: the filtered, sorted list of business risks, one risk by its number, the
threats a member may link to it, and its acceptances. Everything starts from the member's organisation, so a
number or id of another organisation is simply not found (404).

Stored figures are read through risks.selectors; sorting and filtering by residual level or expected annual
loss read the same stored results in the database.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.http import Http404

from projects.models import Membership, Threat
from projects.roles import Permission
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    Category,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    Treatment,
)
from risks.scoring.levels import LEVELS

ORDERINGS: dict[str, tuple[Any, ...]] = {}  # filled below: order key -> order_by arguments


def _residual(key: str) -> KeyTextTransform:
    return KeyTextTransform(key, KeyTransform("residual", "result__figures"))


def _level_rank() -> Case:
    return Case(
        *(When(**{"residual_level": level.value}, then=Value(level.rank)) for level in LEVELS),
        default=Value(-1),
        output_field=IntegerField(),
    )


ORDERINGS |= {
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
    "review": (F("review_on").asc(nulls_last=True), "number"),
    "-review": (F("review_on").desc(nulls_last=True), "number"),
}


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 10


@dataclass(frozen=True)
class RiskFilters:
    category: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    treatment: tuple[str, ...] = ()
    owner: int | None = None
    unowned: bool = False
    above_appetite: bool = False
    q: str = ""
    order: str = "number"

    @classmethod
    def from_query(cls, query: Any) -> "RiskFilters":
        """From GET parameters; unknown values are ignored."""
        owner = query.get("owner", "")
        return cls(
            category=tuple(c for c in query.getlist("category") if c in Category.values),
            status=tuple(s for s in query.getlist("status") if s in RiskStatus.values),
            treatment=tuple(t for t in query.getlist("treatment") if t in Treatment.values),
            owner=int(owner) if _digits(owner) else None,
            unowned=owner == "none",
            above_appetite=query.get("appetite") == "above",
            q=query.get("q", "").replace("\x00", "").strip()[:200],
            order=query.get("order") if query.get("order") in ORDERINGS else "number",
        )

    @property
    def active(self) -> bool:
        return bool(self.category or self.status or self.treatment or self.owner or self.unowned) or bool(
            self.above_appetite or self.q
        )


def risks_of(membership: Membership, filters: RiskFilters, appetite: str) -> QuerySet[BusinessRisk]:
    """The organisation's business risks, filtered and sorted, with what a row of the register shows."""
    risks = (
        BusinessRisk.objects.filter(organisation=membership.organisation_id)
        .select_related("owner")
        .annotate(residual_level=_residual("level"))
        .annotate(residual_rank=_level_rank(), residual_ale=Cast(_residual("ale_mean"), FloatField()))
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
    if filters.above_appetite:
        risks = risks.filter(residual_rank__gt=_rank(appetite))
    if filters.q:
        q = filters.q
        match = Q(title__icontains=q) | Q(description__icontains=q)
        reference = q.upper().removeprefix("R-")
        if _digits(reference):
            match |= Q(number=int(reference))
        risks = risks.filter(match)
    return risks.order_by(*ORDERINGS[filters.order])


def _rank(level: str) -> int:
    return next(each.rank for each in LEVELS if each.value == level)


def risk_of(membership: Membership, number: int) -> BusinessRisk:
    risk = (
        BusinessRisk.objects.filter(organisation=membership.organisation_id, number=number)
        .select_related("owner", "organisation")
        .first()
    )
    if risk is None:
        raise Http404("No such business risk.")
    return risk


def scenario_of(risk: BusinessRisk, scenario_id: int) -> Scenario:
    scenario = (
        Scenario.objects.filter(risk=risk, pk=scenario_id).select_related("threat__project__team").first()
    )
    if scenario is None:
        raise Http404("No such scenario.")
    return scenario


def acceptance_of(risk: BusinessRisk, acceptance_id: int) -> RiskAcceptance:
    acceptance = RiskAcceptance.objects.filter(risk=risk, pk=acceptance_id).select_related("risk").first()
    if acceptance is None:
        raise Http404("No such acceptance.")
    return acceptance


def acceptances_of(risk: BusinessRisk) -> list[RiskAcceptance]:
    return list(
        RiskAcceptance.objects.filter(risk=risk)
        .select_related("requested_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def acceptances_by_risk(risk_ids: list[int]) -> dict[int, list[RiskAcceptance]]:
    """The acceptances that say something about each risk now: approved ones and requests still waiting."""
    found: dict[int, list[RiskAcceptance]] = {pk: [] for pk in risk_ids}
    for acceptance in RiskAcceptance.objects.filter(
        risk_id__in=risk_ids, status__in=[AcceptanceStatus.APPROVED, AcceptanceStatus.REQUESTED]
    ).order_by("-expires_on"):
        found[acceptance.risk_id].append(acceptance)
    return found


def linkable_threats(membership: Membership, risk: BusinessRisk) -> QuerySet[Threat]:
    """The organisation's threats the member may link to the risk and that are not linked to it yet."""
    threats = Threat.objects.filter(project__organisation=membership.organisation_id)
    if not membership.can(Permission.EDIT_RISK_REGISTER):
        if not membership.can(Permission.EDIT_TEAM_PROJECTS):
            return threats.none()
        threats = threats.filter(project__team__in=membership.teams.all())
    return (
        threats.exclude(scenarios__risk=risk)
        .select_related("project")
        .prefetch_related("impacted_assets")
        .order_by("project__name", "project_id", "number")
    )

"""Reads of the business-risk register, for the pages and the API alike: the organisation's risks (filtered,
searched, sorted, with their stored residual level and expected loss), one risk by number, its scenarios and
acceptances, and a threat named by project and number. Every read starts from the member's organisation, so
nothing of another organisation can be named.

Stored figures are read through risks.selectors; what a scenario scores now comes from risks.inputs.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, FloatField, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.http import Http404

from projects.models import Asset, Organisation, Threat
from risks.models import BusinessRisk, Category, RiskAcceptance, RiskStatus, Scenario, Treatment
from risks.scoring.levels import LEVELS, Level

UNSCORED = "none"  # the level filter's value for risks with no stored residual level

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


def _digits(value: object) -> bool:
    return str(value).isascii() and str(value).isdigit()


@dataclass(frozen=True)
class RiskFilters:
    category: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    treatment: tuple[str, ...] = ()
    owner: int | None = None  # a user id
    unowned: bool = False
    level: tuple[str, ...] = ()  # stored residual levels, or UNSCORED
    above_appetite: bool = False  # stored residual level above the organisation's appetite level
    q: str = ""
    order: str = "number"

    @classmethod
    def from_query(cls, query: Any) -> "RiskFilters":
        """From a QueryDict of GET parameters; unknown values are ignored, as the workspace lists do."""
        owner = query.get("owner", "")
        return cls(
            category=tuple(c for c in query.getlist("category") if c in Category.values),
            status=tuple(s for s in query.getlist("status") if s in RiskStatus.values),
            treatment=tuple(t for t in query.getlist("treatment") if t in Treatment.values),
            owner=int(owner) if _digits(owner) and len(owner) < 19 else None,
            unowned=owner == "none",
            level=tuple(lvl for lvl in query.getlist("level") if lvl in {*Level, UNSCORED}),
            above_appetite=query.get("appetite") == "above",
            q=query.get("q", "").replace("\x00", "").strip()[:200],
            order=query.get("order") if query.get("order") in RISK_ORDERINGS else "number",
        )

    @property
    def active(self) -> bool:
        chosen = (self.category, self.status, self.treatment, self.owner, self.unowned, self.level)
        return any(chosen) or self.above_appetite or bool(self.q)


def _residual(key: str) -> KeyTextTransform:
    return KeyTextTransform(key, KeyTransform("residual", "result__figures"))


def _level_rank() -> Case:
    return Case(
        *(When(residual_level=level.value, then=Value(level.rank)) for level in LEVELS),
        default=Value(-1),
        output_field=IntegerField(),
    )


def risks_of(
    organisation: Organisation | int, filters: RiskFilters | None = None, appetite: str | None = None
) -> QuerySet[BusinessRisk]:
    """The organisation's business risks with their owner, scenario count and stored residual level and
    expected loss (`residual_level`, `residual_rank`, `residual_ale`), filtered and sorted. `appetite` is the
    organisation's appetite level, for the above-appetite filter."""
    filters = filters or RiskFilters()
    risks = (
        BusinessRisk.objects.filter(organisation=organisation)
        .select_related("owner", "organisation")
        .annotate(scenario_count=Count("scenarios"), residual_level=_residual("level"))
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
    if filters.level:
        scored = [lvl for lvl in filters.level if lvl != UNSCORED]
        match = Q(result__figures__residual__level__in=scored) if scored else Q(pk__in=[])
        if UNSCORED in filters.level:
            match |= Q(result__isnull=True) | Q(result__figures__residual__level=None)
        risks = risks.filter(match)
    if filters.above_appetite and appetite:
        risks = risks.filter(residual_rank__gt=Level(appetite).rank)
    if filters.q.strip():
        text = filters.q.strip()
        reference = text.upper().removeprefix("R-")
        match = Q(title__icontains=text) | Q(description__icontains=text)
        if _digits(reference) and len(reference) < 10:
            match |= Q(number=int(reference))
        risks = risks.filter(match)
    return risks.order_by(*RISK_ORDERINGS[filters.order])


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

"""Reads of threat models. Each lookup starts from the member's organisation, so a miss is a 404.

The HTML views and the API share these, filters included, so a list means the same in both.
"""

from dataclasses import dataclass
from typing import Any

import pghistory.models
from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Lower
from django.http import Http404
from django.utils import timezone
from pghistory.core import event_models

from projects import attention
from projects.comment_models import Comment
from projects.models import (
    Asset,
    Component,
    ComponentAsset,
    Control,
    ControlStatus,
    DataFlow,
    FlowAsset,
    LikelihoodLevel,
    Membership,
    Project,
    ProjectStatus,
    Stride,
    Team,
    Threat,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    ThreatStatus,
    TrustZone,
    User,
)
from projects.query import query_int, query_text
from projects.threat_library import FLOW, LibraryEntry, Target, applicable

OPEN_THREAT_STATUSES = (ThreatStatus.IDENTIFIED, ThreatStatus.IN_REVIEW, ThreatStatus.CONFIRMED)


def _one[M: Model](queryset: QuerySet[M], what: str, **lookup: Any) -> M:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404(f"No such {what}.")
    return found


# Lists: sorting, and the rows a bulk change names ---------------------------------------------------------


def _rank(field: str, choices: Any) -> Case:
    """A choice field in the order its choices are declared (a status in its workflow's order), not by value. A
    blank value (a likelihood not given) ranks as NULL, so it comes last whichever way the list is sorted."""
    return Case(
        *[When(**{field: value}, then=Value(position)) for position, value in enumerate(choices.values)],
        default=None,
        output_field=IntegerField(),
    )


def both_ways(columns: dict[str, tuple[Any, ...]], *tiebreak: str) -> dict[str, tuple[Any, ...]]:
    """Orderings for sortable columns: each column ascending under its name and descending under "-name", with
    empty values last either way, then `tiebreak` so that pages never overlap."""

    def sort(value: Any, descending: bool) -> OrderBy:
        expression = F(value) if isinstance(value, str) else value
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    orderings: dict[str, tuple[Any, ...]] = {}
    for name, values in columns.items():
        orderings[name] = (*(sort(value, False) for value in values), *tiebreak)
        orderings[f"-{name}"] = (*(sort(value, True) for value in values), *tiebreak)
    return orderings


@dataclass(frozen=True)
class Seen[M: Model]:
    """An object of a bulk change, and the version the person saw of it on the list."""

    obj: M
    version: int


def seen_rows[M: Model](
    rows: QuerySet[M], key: str, versions: dict[int, int]
) -> tuple[list[Seen[M]], list[int]]:
    """The rows named by `key` (a threat's number, a control's id) with the versions the person saw, in the
    order named, in one query; and the keys that name no row."""
    found = {getattr(row, key): row for row in rows.filter(**{f"{key}__in": list(versions)})}
    missing = [name for name in versions if name not in found]
    return [Seen(found[name], version) for name, version in versions.items() if name in found], missing


def _order(query: Any, orderings: dict[str, tuple[Any, ...]], default: str) -> str:
    """The `order` asked for, if `orderings` has it, else `default`."""
    order = query.get("order")
    return order if order in orderings else default


@dataclass(frozen=True)
class EstateScope:
    """Which part of the organisation an estate list covers: one team's projects, one project, or all of them.
    Its rows are the organisation's already, so a team or project of another organisation matches nothing."""

    team: str = ""  # team slug
    project: int | None = None  # a project id

    @classmethod
    def from_query(cls, query: Any) -> "EstateScope":
        project = query.get("project", "")
        return cls(team=query_text(query.get("team", ""), 100), project=query_int(project))

    @property
    def active(self) -> bool:
        return bool(self.team or self.project)

    def narrow[M: Model](self, rows: QuerySet[M]) -> QuerySet[M]:
        """`rows` (threats or controls: anything with a `project`) of the team's projects, or of the project."""
        if self.team:
            rows = rows.filter(project__team__slug=self.team)
        if self.project:
            rows = rows.filter(project=self.project)
        return rows


def _of_estate[M: Model](model: type[M], membership: Membership, scope: EstateScope | None) -> QuerySet[M]:
    """The organisation's threats or controls in the scope, with what an estate list shows of each row's
    project, team and owner."""
    rows = model._default_manager.filter(project__organisation=membership.organisation_id)
    return (scope or EstateScope()).narrow(rows).select_related("owner", "project__team")


def _by_status_and_owner[M: Model](
    rows: QuerySet[M], status: tuple[str, ...], owner: int | None, *, unowned: bool
) -> QuerySet[M]:
    """Threats or controls in any of the statuses, of the owner (a user id) or of nobody: the filters both
    kinds of list share."""
    if status:
        rows = rows.filter(status__in=status)
    if owner:
        rows = rows.filter(owner=owner)
    if unowned:
        rows = rows.filter(owner__isnull=True)
    return rows


# Projects -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    team: str = ""  # team slug
    status: str = ""
    review_overdue: bool = False  # attention.project_review_overdue: not reviewed within 90 days
    q: str = ""

    @classmethod
    def from_query(cls, query: Any) -> "ProjectFilters":
        """From a QueryDict (GET parameters) of the HTML list or the API; unknown values are ignored."""
        return cls(
            team=query_text(query.get("team", ""), 100),
            status=str(query.get("status", "")),
            review_overdue=query.get("review") == "overdue",
            q=query_text(query.get("q", ""), 200),
        )

    @property
    def active(self) -> bool:
        return bool(self.team or self.status or self.review_overdue or self.q.strip())


def _count_per(rows: QuerySet[Any], owner: str) -> Coalesce:
    """How many of `rows` point at each row of the outer query by their `owner` field, in a subquery, so that
    counting several relations at once does not multiply the rows."""
    counted = (
        rows.filter(**{owner: OuterRef("pk")}).order_by().values(owner).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def projects_of(membership: Membership, filters: ProjectFilters | None = None) -> QuerySet[Project]:
    filters = filters or ProjectFilters()
    projects = (
        Project.objects.filter(organisation=membership.organisation_id)
        .select_related("team")
        .annotate(
            # Counted in subqueries: joining threats and components at once would multiply the rows.
            threat_count=_count_per(Threat.objects.all(), "project"),
            open_threat_count=_count_per(Threat.objects.filter(status__in=OPEN_THREAT_STATUSES), "project"),
            component_count=_count_per(Component.objects.all(), "project"),
        )
        .order_by("name")
    )
    if filters.team:
        projects = projects.filter(team__slug=filters.team)
    if filters.status in ProjectStatus.values:
        projects = projects.filter(status=filters.status)
    if filters.review_overdue:
        projects = projects.filter(attention.project_review_overdue(timezone.localdate()))
    if filters.q.strip():
        projects = projects.filter(
            Q(name__icontains=filters.q.strip()) | Q(description__icontains=filters.q.strip())
        )
    return projects


def team_projects_of(membership: Membership) -> QuerySet[Project]:
    """The projects of the member's own teams, with their counts, those with the most open threats first."""
    return (
        projects_of(membership)
        .filter(team__memberships=membership)
        .order_by(F("open_threat_count").desc(), "name")
    )


def teams_of(membership: Membership) -> QuerySet[Team]:
    """The member's own teams, each with `project_count`."""
    return membership.teams.annotate(project_count=Count("projects")).order_by("name")


def project_choices_of(membership: Membership) -> QuerySet[Project]:
    """The organisation's projects for a filter, by team then name, with only what an option shows."""
    return (
        Project.objects.filter(organisation=membership.organisation_id)
        .select_related("team")
        .only("pk", "name", "team__name")
        .order_by("team__name", "name")
    )


def project_of(membership: Membership, project_id: int) -> Project:
    return _one(
        Project.objects.filter(organisation=membership.organisation_id).select_related(
            "team", "organisation"
        ),
        "project",
        pk=project_id,
    )


# Parts of a project ---------------------------------------------------------------------------------------


def zones_of(project: Project) -> QuerySet[TrustZone]:
    return (
        project.zones.select_related("parent")
        .annotate(component_count=Count("components"))
        .order_by("trust_level", "name")
    )


def zone_of(project: Project, zone_id: int) -> TrustZone:
    return _one(project.zones.select_related("project", "parent"), "trust zone", pk=zone_id)


def assets_of(project: Project) -> QuerySet[Asset]:
    return project.assets.order_by("name")


def asset_of(project: Project, asset_id: int) -> Asset:
    return _one(project.assets.select_related("project"), "asset", pk=asset_id)


def components_of(project: Project) -> QuerySet[Component]:
    return (
        project.components.select_related("zone")
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("name")))
        .annotate(threat_count=Count("threats", distinct=True))
        .order_by("name")
    )


def component_of(project: Project, component_id: int) -> Component:
    return _one(project.components.select_related("project", "zone"), "component", pk=component_id)


def flows_of(project: Project) -> QuerySet[DataFlow]:
    return (
        DataFlow.objects.filter(project=project)
        .with_boundary()
        .select_related("source__zone", "destination__zone")
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("name")))
        .annotate(threat_count=Count("threats", distinct=True))
        .order_by("name", "pk")
    )


def _asset_names(through: type[Model], owner: str) -> ArraySubquery:
    return ArraySubquery(
        through._default_manager.filter(**{owner: OuterRef("pk")})
        .order_by("asset__name")
        .values("asset__name")
    )


def component_rows_of(project: Project) -> QuerySet[Component]:
    """The components as the Model page lists them, in one query without row multiplication: their zone,
    the names of their assets (`asset_names`: prefetching the assets costs more than the rest of the list)
    and `threat_count`."""
    return (
        project.components.select_related("zone")
        .annotate(
            asset_names=_asset_names(ComponentAsset, "component"),
            threat_count=_count_per(ThreatComponent.objects.all(), "component"),
        )
        .order_by("name")
    )


def flow_rows_of(project: Project) -> QuerySet[DataFlow]:
    """The data flows as the Model page lists them, in one query without row multiplication: both ends (not
    their zones, as the boundary is computed in the query), `asset_names` and `threat_count`."""
    return (
        DataFlow.objects.filter(project=project)
        .with_boundary()
        .select_related("source", "destination")
        .annotate(
            asset_names=_asset_names(FlowAsset, "flow"),
            threat_count=_count_per(ThreatFlow.objects.all(), "flow"),
        )
        .order_by("name", "pk")
    )


def flow_of(project: Project, flow_id: int) -> DataFlow:
    return _one(
        DataFlow.objects.filter(project=project)
        .with_boundary()
        .select_related("project", "source", "destination"),
        "data flow",
        pk=flow_id,
    )


# Threats --------------------------------------------------------------------------------------------------

_THREAT_COLUMNS: dict[str, tuple[Any, ...]] = {
    "status": (_rank("status", ThreatStatus),),
    "owner": ("owner__name", "owner__email"),
}
THREAT_ORDERINGS = both_ways({"number": ("number",)} | _THREAT_COLUMNS, "number") | {
    "updated": ("-updated_at", "number")
}
# Across projects a number alone names nothing: the estate's threats are by project, then number.
ESTATE_THREAT_ORDERINGS = both_ways(
    {
        "project": ("project__name",),
        "team": ("project__team__name", "project__name"),
        "likelihood": (_rank("likelihood", LikelihoodLevel),),
    }
    | _THREAT_COLUMNS,
    "project__name",
    "project_id",
    "number",
) | {"updated": ("-updated_at", "pk")}


@dataclass(frozen=True)
class ThreatFilters:
    status: tuple[str, ...] = ()
    stride: tuple[str, ...] = ()
    component: int | None = None
    flow: int | None = None
    owner: int | None = None  # a user id
    unowned: bool = False
    without_control: bool = False
    new_since_review: bool = False  # attention.threat_new_since_review
    q: str = ""
    order: str = "number"

    @classmethod
    def from_query(
        cls,
        query: Any,
        orderings: dict[str, tuple[Any, ...]] = THREAT_ORDERINGS,
        default_order: str = "number",
    ) -> "ThreatFilters":
        """From a QueryDict (GET parameters) of the HTML list or the API; unknown values are ignored. The
        estate's list passes its own `orderings`."""

        def number(name: str) -> int | None:
            return query_int(query.get(name, ""))

        return cls(
            status=tuple(s for s in query.getlist("status") if s in ThreatStatus.values),
            stride=tuple(s for s in query.getlist("stride") if s in Stride.values),
            component=number("component"),
            flow=number("flow"),
            owner=number("owner"),
            unowned=query.get("owner") == "none",
            without_control=query.get("control") == "none",
            new_since_review=query.get("new") == "since_review",
            q=query_text(query.get("q", ""), 200),
            order=_order(query, orderings, default_order),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.status or self.stride or self.component or self.flow or self.owner or self.unowned
        ) or bool(self.without_control or self.new_since_review or self.q)


def estate_threat_filters(query: Any) -> ThreatFilters:
    """The filters of the estate's threat list: sorted by its columns, by project then number by default."""
    return ThreatFilters.from_query(query, ESTATE_THREAT_ORDERINGS, "project")


def _threats_matching(threats: QuerySet[Threat], filters: ThreatFilters) -> QuerySet[Threat]:
    """`threats` narrowed by the filters: the one reading of them, for a project's list and the estate's."""
    threats = _by_status_and_owner(threats, filters.status, filters.owner, unowned=filters.unowned)
    if filters.stride:
        threats = threats.filter(stride__overlap=list(filters.stride))
    if filters.component:
        threats = threats.filter(target_components=filters.component)
    if filters.flow:
        threats = threats.filter(target_flows=filters.flow)
    if filters.without_control:
        threats = threats.exclude(Exists(ThreatControl.objects.filter(threat=OuterRef("pk"))))
    if filters.new_since_review:
        threats = threats.filter(attention.threat_new_since_review())
    if filters.q.strip():
        text = filters.q.strip()
        reference = text.upper().removeprefix("T-")
        match = (
            Q(threat_source__icontains=text)
            | Q(prerequisites__icontains=text)
            | Q(threat_action__icontains=text)
            | Q(threat_impact__icontains=text)
        )
        if (number := query_int(reference, digits=9)) is not None:
            match |= Q(number=number)
        threats = threats.filter(match)
    return threats


def _with_statement(threats: QuerySet[Threat]) -> QuerySet[Threat]:
    """The assets a threat's statement names, for a whole page in one query."""
    return threats.prefetch_related(Prefetch("impacted_assets", queryset=Asset.objects.order_by("name")))


def threats_of(project: Project, filters: ThreatFilters | None = None) -> QuerySet[Threat]:
    filters = filters or ThreatFilters()
    threats = (
        _with_statement(project.threats.select_related("owner"))
        .prefetch_related(Prefetch("target_components", queryset=Component.objects.order_by("name")))
        .prefetch_related(Prefetch("target_flows", queryset=DataFlow.objects.order_by("name")))
        .annotate(control_count=Count("control_links", distinct=True))
    )
    return _threats_matching(threats, filters).order_by(*THREAT_ORDERINGS[filters.order])


def estate_threats_of(
    membership: Membership, filters: ThreatFilters | None = None, scope: EstateScope | None = None
) -> QuerySet[Threat]:
    """Every threat of the organisation, with its project, team and owner, filtered and sorted by the
    estate's orderings (by project then number when `filters.order` is not one of them)."""
    filters = filters or ThreatFilters()
    threats = _with_statement(_of_estate(Threat, membership, scope))
    order = ESTATE_THREAT_ORDERINGS.get(filters.order, ESTATE_THREAT_ORDERINGS["project"])
    return _threats_matching(threats, filters).order_by(*order)


def threat_of(project: Project, number: int) -> Threat:
    return _one(project.threats.select_related("project", "owner"), "threat", number=number)


def statement_suggestions(
    membership: Membership, field_name: str, prefix: str = "", limit: int = 8
) -> list[str]:
    """Values typed in earlier threats of the organisation, most used first, for the statement fields."""
    if field_name not in ("threat_source", "prerequisites", "threat_action", "threat_impact"):
        return []
    threats = Threat.objects.filter(project__organisation=membership.organisation_id).exclude(
        **{field_name: ""}
    )
    if prefix.strip():
        threats = threats.filter(**{f"{field_name}__icontains": prefix.strip()})
    rows = threats.values(field_name).annotate(uses=Count("pk")).order_by("-uses", field_name)[:limit]
    return [row[field_name] for row in rows]


# Controls -------------------------------------------------------------------------------------------------


_CONTROL_COLUMNS: dict[str, tuple[Any, ...]] = {
    "title": (Lower("title"),),
    "status": (_rank("status", ControlStatus),),
    "due": ("due_on",),
    "cost": ("cost_per_year",),
}
CONTROL_ORDERINGS = both_ways(
    _CONTROL_COLUMNS | {"effort": ("effort_days",), "threats": ("threat_count",)}, "title", "pk"
)
ESTATE_CONTROL_ORDERINGS = both_ways(
    _CONTROL_COLUMNS | {"project": ("project__name",), "team": ("project__team__name", "project__name")},
    "project__name",
    "title",
    "pk",
)
DUE_FILTERS = {"overdue": attention.control_overdue, "soon": attention.control_due}


@dataclass(frozen=True)
class ControlFilters:
    status: tuple[str, ...] = ()
    owner: int | None = None
    unowned: bool = False
    without_threat: bool = False
    due: str = ""  # a key of DUE_FILTERS: "overdue", or "soon" (overdue or due within attention.DUE_SOON)
    q: str = ""
    order: str = "title"

    @classmethod
    def from_query(
        cls,
        query: Any,
        orderings: dict[str, tuple[Any, ...]] = CONTROL_ORDERINGS,
        default_order: str = "title",
    ) -> "ControlFilters":
        """From a QueryDict (GET parameters) of the HTML list or the API; unknown values are ignored. The
        estate's list passes its own `orderings`."""
        owner = query.get("owner", "")
        return cls(
            status=tuple(s for s in query.getlist("status") if s in ControlStatus.values),
            owner=query_int(owner),
            unowned=owner == "none",
            without_threat=query.get("threat") == "none",
            due=query.get("due") if query.get("due") in DUE_FILTERS else "",
            q=query_text(query.get("q", ""), 200),
            order=_order(query, orderings, default_order),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.status or self.owner or self.unowned or self.without_threat or self.due or self.q.strip()
        )


def estate_control_filters(query: Any) -> ControlFilters:
    """The filters of the estate's control list: sorted by its columns, by project then title by default."""
    return ControlFilters.from_query(query, ESTATE_CONTROL_ORDERINGS, "project")


def _controls_matching(controls: QuerySet[Control], filters: ControlFilters) -> QuerySet[Control]:
    """`controls` narrowed by the filters: the one reading of them, for a project's list and the estate's."""
    controls = _by_status_and_owner(controls, filters.status, filters.owner, unowned=filters.unowned)
    if filters.without_threat:
        controls = controls.exclude(Exists(ThreatControl.objects.filter(control=OuterRef("pk"))))
    if filters.due:
        controls = controls.filter(DUE_FILTERS[filters.due](timezone.localdate()))
    if filters.q.strip():
        controls = controls.filter(
            Q(title__icontains=filters.q.strip()) | Q(description__icontains=filters.q.strip())
        )
    return controls


def controls_of(project: Project, filters: ControlFilters | None = None) -> QuerySet[Control]:
    """The project's controls with `threat_count`, the number of threats each addresses (in a subquery, so
    the rows are not multiplied), filtered and sorted."""
    filters = filters or ControlFilters()
    controls = (
        project.controls.select_related("owner")
        .prefetch_related(
            Prefetch(
                "threat_links",
                queryset=ThreatControl.objects.select_related("threat").order_by("threat__number"),
            )
        )
        .annotate(threat_count=_count_per(ThreatControl.objects.all(), "control"))
    )
    return _controls_matching(controls, filters).order_by(*CONTROL_ORDERINGS[filters.order])


def estate_controls_of(
    membership: Membership, filters: ControlFilters | None = None, scope: EstateScope | None = None
) -> QuerySet[Control]:
    """Every control of the organisation, with its project, team and owner, and `is_overdue`
    (attention.control_overdue, worked out in the query), filtered and sorted by the estate's orderings (by
    project then title when `filters.order` is not one of them)."""
    filters = filters or ControlFilters()
    overdue = ExpressionWrapper(attention.control_overdue(timezone.localdate()), output_field=BooleanField())
    controls = _of_estate(Control, membership, scope).annotate(is_overdue=overdue)
    order = ESTATE_CONTROL_ORDERINGS.get(filters.order, ESTATE_CONTROL_ORDERINGS["project"])
    return _controls_matching(controls, filters).order_by(*order)


def control_rows_of(
    project: Project, filters: ControlFilters | None = None, *, threats_shown: int
) -> QuerySet[Control]:
    """The controls as their list shows them: `shown_links`, the first `threats_shown` links of each by threat
    number, and `links_not_shown`, how many more threats it addresses. The links come in one query for the
    whole page (a prefetch sliced per control), so a row costs the same whatever number of threats it has."""
    first_links = (
        ThreatControl.objects.select_related("threat")
        .only("control", "effectiveness", "threat__number")  # a threat's reference is its number
        .order_by("threat__number")[:threats_shown]
    )
    return (
        controls_of(project, filters)
        .prefetch_related(None)
        .prefetch_related(Prefetch("threat_links", queryset=first_links, to_attr="shown_links"))
        .annotate(links_not_shown=Greatest(F("threat_count") - threats_shown, 0))
    )


def control_of(project: Project, control_id: int) -> Control:
    return _one(project.controls.select_related("project", "owner"), "control", pk=control_id)


def link_of(project: Project, link_id: int) -> ThreatControl:
    return _one(
        ThreatControl.objects.filter(control__project=project).select_related("threat", "control__project"),
        "control link",
        pk=link_id,
    )


def people_of(membership: Membership) -> QuerySet[User]:
    """Members of the organisation, for owner pickers."""
    return User.objects.filter(memberships__organisation=membership.organisation_id).order_by("name", "email")


def links_of(project: Project) -> QuerySet[ThreatControl]:
    """Every threat-control link of the project, by threat number then control title."""
    return (
        ThreatControl.objects.filter(control__project=project)
        .select_related("threat", "control")
        .order_by("threat__number", "control__title", "pk")
    )


# The threat library ---------------------------------------------------------------------------------------


def library_target(*, component: Component | None = None, flow: DataFlow | None = None) -> Target:
    """The component or flow as the threat library describes it."""
    if component is not None:
        return Target(kind=component.kind, technology=component.technology)
    if flow is None:
        raise ValueError("Name a component or a flow.")
    return Target(
        kind=FLOW,
        technology=flow.protocol,
        crosses_boundary=flow.crosses_boundary,
        encrypted=flow.is_encrypted,
        authenticated=flow.is_authenticated,
    )


def library_keys_present(
    project: Project, *, component: Component | None = None, flow: DataFlow | None = None
) -> set[str]:
    """Library entries already used on this target, in any status (a rejected one counts: not applicable)."""
    threats = project.threats.exclude(library_key="")
    if component is not None:
        threats = threats.filter(target_components=component)
    if flow is not None:
        threats = threats.filter(target_flows=flow)
    return set(threats.values_list("library_key", flat=True))


def library_suggestions(
    project: Project, *, component: Component | None = None, flow: DataFlow | None = None
) -> list[LibraryEntry]:
    """The library entries that apply to the component or flow and are not on it yet, in library order."""
    present = library_keys_present(project, component=component, flow=flow)
    target = library_target(component=component, flow=flow)
    return [entry for entry in applicable(target) if entry.key not in present]


# History --------------------------------------------------------------------------------------------------

HIDDEN_HISTORY_FIELDS = frozenset({"version", "updated_at", "threat_counter"})


@dataclass(frozen=True)
class FieldChange:
    """One changed field, as a person reads it: the field's label and its values before and after."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Change:
    at: Any
    who: str
    label: str  # created, updated, deleted, linked, unlinked
    model: str  # e.g. "threat", "threat component"
    diff: dict[str, tuple[Any, Any]]
    subject: str = ""  # what the event is about: the object's name, or the linked object's
    fields: tuple[FieldChange, ...] = ()  # the diff with readable labels and values


def history_of(obj: Any, limit: int = 100) -> list[Change]:
    """What happened to the object and its links, newest first, with who did it."""
    return changes_from(history_events(obj)[:limit])


def history_events(obj: Any) -> QuerySet[pghistory.models.Events]:
    """The raw events that reference the object, newest first; page them, then read them with changes_from.

    A project's events include those of its parts (they reference it through their project column). Comments'
    events are left out, though they reference what they are on: a comment is the conversation about an object,
    not a change to it (its panel shows it, the activity feed says who commented), and the history of its text
    must not bring back the words of a deleted comment."""
    return (
        pghistory.models.Events.objects.across(*_change_event_models())
        .references(obj)
        .order_by("-pgh_created_at", "-pgh_id")
    )


def _change_event_models() -> list[type[Model]]:
    """Every history table but the comments'; never empty, as an empty list would mean every table."""
    comments = Comment.pgh_event_model  # type: ignore[attr-defined]
    return [model for model in event_models() if model is not comments]


def changes_from(events: Any) -> list[Change]:
    """Events as changes a person can read: who, and field labels and values instead of columns and ids."""
    events = list(events)
    user_ids = {int(e.pgh_context["user"]) for e in events if e.pgh_context and e.pgh_context.get("user")}
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=user_ids)}
    related = _related_names(events)
    changes = []
    for event in events:
        user_id = (event.pgh_context or {}).get("user")
        diff = {
            name: (before, after)
            for name, (before, after) in (event.pgh_diff or {}).items()
            if name not in HIDDEN_HISTORY_FIELDS
        }
        if event.pgh_label == "updated" and not diff:
            continue
        model = _tracked_model(event)
        changes.append(
            Change(
                at=event.pgh_created_at,
                who=names.get(int(user_id), "someone") if user_id else "the system",
                label=event.pgh_label,
                model=_event_model_name(event.pgh_model),
                diff=diff,
                subject=_subject(model, event.pgh_data or {}, related),
                fields=tuple(
                    FieldChange(_field_label(model, name), *(_shown(model, name, v, related) for v in pair))
                    for name, pair in diff.items()
                ),
            )
        )
    return changes


def _tracked_model(event: Any) -> type[Model] | None:
    try:
        return apps.get_model(event.pgh_obj_model)
    except (LookupError, ValueError):
        return None


def _field(model: type[Model] | None, column: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(column)
    except FieldDoesNotExist:
        return None


def _related_names(events: list[Any]) -> dict[tuple[type[Model], int], str]:
    """The names of the objects the events point at (a component's zone, a link's asset), one query per
    model, so history reads "Internet" rather than "zone 3"."""
    wanted: dict[type[Model], set[int]] = {}
    for event in events:
        model = _tracked_model(event)
        columns = set((event.pgh_diff or {}).keys()) | set((event.pgh_data or {}).keys())
        for column in columns:
            field = _field(model, column)
            if field is None or not field.is_relation or not field.many_to_one or column == "project_id":
                continue
            values = [(event.pgh_data or {}).get(column), *(event.pgh_diff or {}).get(column, [])]
            wanted.setdefault(field.related_model, set()).update(v for v in values if isinstance(v, int))
    names: dict[tuple[type[Model], int], str] = {}
    for model, ids in wanted.items():
        for obj in model._default_manager.filter(pk__in=ids):
            names[(model, obj.pk)] = str(getattr(obj, "reference", None) or obj)
    return names


def _subject(
    model: type[Model] | None, data: dict[str, Any], related: dict[tuple[type[Model], int], str]
) -> str:
    for key in ("name", "title"):
        if data.get(key):
            return str(data[key])
    if data.get("number") is not None:
        return f"T-{data['number']}"
    # A link (a component's asset, a threat's target, a control on a threat): name both ends.
    ends = []
    for column, value in data.items():
        field = _field(model, column)
        if field is not None and field.is_relation and field.many_to_one and column != "project_id":
            ends.append(related.get((field.related_model, value), ""))
    return " · ".join(end for end in ends if end)


def _field_label(model: type[Model] | None, column: str) -> str:
    field = _field(model, column)
    label = str(field.verbose_name) if field is not None else column.removesuffix("_id").replace("_", " ")
    return label[:1].upper() + label[1:]


def _shown(
    model: type[Model] | None, column: str, value: Any, related: dict[tuple[type[Model], int], str]
) -> str:
    """A stored value as the UI shows it: choice labels, names of related objects, yes/no."""
    if value is None or value == "" or value == []:
        return "—"
    field = _field(model, column)
    if field is not None and field.is_relation:
        return related.get((field.related_model, value), f"a deleted {field.verbose_name}")
    if isinstance(value, bool):
        return "yes" if value else "no"
    choices = dict(getattr(getattr(field, "base_field", field), "flatchoices", None) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    return str(choices.get(value, value))


def _event_model_name(label: str) -> str:
    name = label.split(".", 1)[-1].removesuffix("Event")
    words = [name[0]] if name else []
    for char in name[1:]:
        words.append(f" {char}" if char.isupper() else char)
    return "".join(words).lower()

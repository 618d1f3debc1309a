"""The activity feeds: who did what, and when, in an organisation or one of its projects, read from the history
the database triggers record (django-pghistory) and from the review records (a model submitted for review,
approved, sent back or withdrawn; a threat confirmed, rejected or sent back), newest first, filtered by kind of
object, person and dates.

A page of a feed costs three queries however long it is and whatever it holds:
1. the page itself: the events of every source the filters keep, scoped to the organisation or the project by
   the columns the event rows carry (or the live row they hang from), each source newest first and cut to what
   the page can take from it (read from the feed indexes in time order, projects.models.feed_indexes, and
   stopped there), as one UNION ALL ordered by time, with one row more than the page to know whether an older
   page exists (no count over the whole history);
2. the page's events in full: each row, the row before it of the same object (for the changed fields), the
   object as it is now (to link to it while it exists) and the change's context (who), one UNION ALL;
3. the names the page mentions (people, zones, threats, projects...), one UNION ALL over their tables.

Events of a link whose parent was deleted (a threat's assets once the threat is gone) drop out of the feed;
the parent's own deletion stays. A comment's text is never shown from the history: a deleted comment's words
must not come back through the feed.

A review decision tells the status change it caused (a project into review and out of it, a threat confirmed,
rejected or sent back) in its own words, with the note or comment given: where a page holds both, the change is
left out, so a decision reads once. Filtered to threats or projects, the status changes are all there.
"""

import datetime
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from projects.comment_models import Comment
from projects.models import (
    Asset,
    Component,
    ComponentAsset,
    Control,
    DataFlow,
    FlowAsset,
    Organisation,
    Project,
    ProjectStatus,
    Team,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
    User,
)
from projects.query import query_int
from projects.review_models import (
    THREAT_STATUS_AFTER,
    ModelReview,
    ReviewDecision,
    ThreatReview,
    ThreatReviewDecision,
)
from projects.workspace_selectors import FieldChange
from risks.models import BusinessRisk, RiskAcceptance, Scenario, ScoringSettings

PER_PAGE = 30
# Columns no reader needs to see change: they move with every save.
HIDDEN_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "threat_counter", "edited_at"})


class Kind(models.TextChoices):
    PROJECT = "project", "Projects"
    MODEL = "model", "Trust zones, assets, components and data flows"
    THREAT = "threat", "Threats"
    CONTROL = "control", "Controls"
    RISK = "risk", "Business risks"
    COMMENT = "comment", "Comments"
    REVIEW = "review", "Reviews"
    SETTINGS = "settings", "Scoring settings"


type ScopeFn = Callable[[int], Q]


@dataclass(frozen=True)
class Source:
    """One tracked model in the feeds: what kind of object it is, how its events are found in an organisation
    and in a project (None: never part of a project's feed), and how a sentence names it."""

    model: type[models.Model]
    kind: Kind
    noun: str
    organisation: ScopeFn
    project: ScopeFn | None
    ends: tuple[str, ...] = ()  # a link: the columns of its two ends
    # Its rows are also updated without a new version (a project's threat counter moves with every threat
    # logged): those updates change nothing a reader sees, and are left out of the page in the query.
    unversioned_updates: bool = False

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def events(self) -> type[models.Model]:
        return self.model.pgh_event_model  # type: ignore[attr-defined]


def _column(name: str) -> ScopeFn:
    return lambda value: Q(**{name: value})


SOURCES: tuple[Source, ...] = (
    Source(
        Project,
        Kind.PROJECT,
        "project",
        _column("organisation_id"),
        _column("pgh_obj_id"),
        unversioned_updates=True,
    ),
    *(
        Source(model, Kind.MODEL, noun, _column("project__organisation_id"), _column("project_id"))
        for model, noun in (
            (TrustZone, "trust zone"),
            (Asset, "asset"),
            (Component, "component"),
            (DataFlow, "data flow"),
        )
    ),
    Source(
        ComponentAsset,
        Kind.MODEL,
        "asset of a component",
        _column("component__project__organisation_id"),
        _column("component__project_id"),
        ends=("asset_id", "component_id"),
    ),
    Source(
        FlowAsset,
        Kind.MODEL,
        "asset carried by a data flow",
        _column("flow__project__organisation_id"),
        _column("flow__project_id"),
        ends=("asset_id", "flow_id"),
    ),
    Source(Threat, Kind.THREAT, "threat", _column("project__organisation_id"), _column("project_id")),
    *(
        Source(
            model,
            Kind.THREAT,
            noun,
            _column("threat__project__organisation_id"),
            _column("threat__project_id"),
            ends=(end, "threat_id"),
        )
        for model, noun, end in (
            (ThreatAsset, "asset of a threat", "asset_id"),
            (ThreatComponent, "component a threat targets", "component_id"),
            (ThreatFlow, "data flow a threat targets", "flow_id"),
        )
    ),
    Source(Control, Kind.CONTROL, "control", _column("project__organisation_id"), _column("project_id")),
    Source(
        ThreatControl,
        Kind.CONTROL,
        "control of a threat",
        _column("control__project__organisation_id"),
        _column("control__project_id"),
        ends=("control_id", "threat_id"),
    ),
    Source(BusinessRisk, Kind.RISK, "business risk", _column("organisation_id"), None),
    Source(
        Scenario,
        Kind.RISK,
        "threat of a business risk",
        _column("risk__organisation_id"),
        _column("threat__project_id"),
        ends=("threat_id", "risk_id"),
    ),
    Source(RiskAcceptance, Kind.RISK, "risk acceptance", _column("risk__organisation_id"), None),
    Source(ScoringSettings, Kind.SETTINGS, "scoring settings", _column("organisation_id"), None),
    Source(Comment, Kind.COMMENT, "comment", _column("organisation_id"), _column("project_id")),
)
BY_LABEL = {source.label: source for source in SOURCES}


@dataclass(frozen=True)
class Decisions:
    """One moment of the review records in the feeds: a model submitted, a model decided, a threat decided. They are
    read from the records themselves (projects.review_models), not from a history: each moment is written once,
    with who and when and the words they gave, so the record is already the history of the decision. Those words
    are the decision's own, not a comment's."""

    model: type[models.Model]
    moment: str  # "submitted" or "decided"
    at: str  # the field of its time
    by: str  # the field of who
    organisation: ScopeFn
    project: ScopeFn
    condition: Q = field(default_factory=Q)
    kind: Kind = Kind.REVIEW

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.moment}"

    @property
    def by_column(self) -> str:
        person = self.model._meta.get_field(self.by)
        assert isinstance(person, models.ForeignKey)
        return str(person.column)


DECISIONS: tuple[Decisions, ...] = (
    Decisions(
        ModelReview,
        "submitted",
        "submitted_at",
        "submitted_by",
        _column("project__organisation_id"),
        _column("project_id"),
    ),
    Decisions(
        ModelReview,
        "decided",
        "decided_at",
        "decided_by",
        _column("project__organisation_id"),
        _column("project_id"),
        condition=~Q(decision=""),
    ),
    Decisions(
        ThreatReview,
        "decided",
        "decided_at",
        "decided_by",
        _column("threat__project__organisation_id"),
        _column("threat__project_id"),
    ),
)
DECISIONS_BY_LABEL = {decisions.label: decisions for decisions in DECISIONS}
PROJECT_KINDS = tuple(
    dict.fromkeys([*(source.kind for source in SOURCES if source.project is not None), Kind.REVIEW])
)


def _model_of(label: str) -> type[models.Model]:
    return DECISIONS_BY_LABEL[label].model if label in DECISIONS_BY_LABEL else BY_LABEL[label].model


# Filters ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the feed's query string asks for; what it does not understand it ignores (projects.query)."""

    kind: str = ""
    user: int | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, Any], kinds: Iterable[str]) -> "Filters":
        kind = str(query.get("kind", ""))
        return cls(
            kind=kind if kind in kinds else "",
            user=query_int(query.get("user", "")),
            since=_date(query.get("since")),
            until=_date(query.get("until")),
            page=max(1, min(query_int(query.get("page", ""), digits=6) or 1, 100_000)),
        )

    @property
    def any(self) -> bool:
        return bool(self.kind or self.user or self.since or self.until)


def _date(value: object) -> datetime.date | None:
    try:
        return parse_date(str(value or "")[:10])
    except ValueError:
        return None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# What a page shows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One thing someone did: “Alice changed threat T-3: Status identified → confirmed”."""

    at: datetime.datetime
    who: str
    who_id: int | None
    verb: str
    noun: str
    subject: str
    url: str | None
    project: str = ""
    project_url: str | None = None
    fields: tuple[FieldChange, ...] = ()
    is_link: bool = False  # the subject names two ends ("“WAF” to T-3") and the noun says what links them
    tail: str = ""  # what the sentence says after its subject ("for review")
    words: str = ""  # a review's own words: the submission's note, the decision's comment or reason


@dataclass
class Feed:
    activities: list[Activity]
    page: int
    has_older: bool
    filters: Filters
    people: list[User] = field(default_factory=list)

    @property
    def has_newer(self) -> bool:
        return self.page > 1


def organisation_feed(organisation: Organisation, filters: Filters) -> Feed:
    return _feed(organisation, None, filters)


def project_feed(project: Project, filters: Filters) -> Feed:
    return _feed(project.organisation, project, filters)


def _feed(organisation: Organisation, project: Project | None, filters: Filters) -> Feed:
    rows = _page(organisation, project, filters)
    has_older = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    details = _details(rows)
    names = _names(details, with_projects=project is None)
    told = _told_by_decisions(rows, details)
    activities = [
        activity
        for row in rows
        if (row["model"], row["pgh_id"]) not in told
        and (activity := _activity(organisation, project, row, details[(row["model"], row["pgh_id"])], names))
    ]
    return Feed(activities, filters.page, has_older, filters)


def _page(organisation: Organisation, project: Project | None, filters: Filters) -> list[dict[str, Any]]:
    """Query 1: the page's events, newest first, each as its model's label and event id (a review record's
    moment: its label and the record's id)."""
    queries: list[models.QuerySet[Any, dict[str, Any]]] = []
    for source in SOURCES:
        if (project is None or source.project is not None) and filters.kind in ("", source.kind):
            scope = source.project(project.pk) if project is not None and source.project else None
            scope = scope if scope is not None else source.organisation(organisation.pk)
            conditions = _dates("pgh_created_at", filters)
            if filters.user:
                conditions &= Q(pgh_context__metadata__user=filters.user)
            events = source.events._default_manager.filter(scope, conditions)
            if source.unversioned_updates:
                events = events.exclude(pgh_label="updated", version=_previous_version(source))
            queries.append(
                events.annotate(model=Value(source.label, output_field=models.TextField()))
                .values("model", "pgh_id", "pgh_created_at")
                .order_by()
            )
    for decisions in (decisions for decisions in DECISIONS if filters.kind in ("", decisions.kind)):
        scope = (
            decisions.project(project.pk) if project is not None else decisions.organisation(organisation.pk)
        )
        conditions = _dates(decisions.at, filters) & decisions.condition
        if filters.user:
            conditions &= Q(**{decisions.by: filters.user})
        queries.append(
            decisions.model._default_manager.filter(scope, conditions)
            .annotate(
                model=Value(decisions.label, output_field=models.TextField()),
                pgh_id=F("pk"),
                pgh_created_at=F(decisions.at),
            )
            .values("model", "pgh_id", "pgh_created_at")
            .order_by()
        )
    newest_first = ("-pgh_created_at", "-pgh_id")
    offset = (filters.page - 1) * PER_PAGE
    end = offset + PER_PAGE + 1
    if len(queries) == 1:
        return list(queries[0].order_by(*newest_first)[offset:end])
    if not filters.user:
        # Each source ordered and cut to what the page can take from it, so each is read from its index in time
        # order and stops there: one ORDER BY over the whole union would read and sort every event in scope. A
        # person's events are found from their contexts instead (projects 0011 indexes the user a context
        # names) and sorted: read in time order, a source they seldom change would be read to its end.
        queries = [query.order_by(*newest_first)[:end] for query in queries]
    first, *others = queries
    return list(first.union(*others, all=True).order_by(*newest_first)[offset:end])


def _dates(column: str, filters: Filters) -> Q:
    conditions = Q()
    if filters.since:
        conditions &= Q(**{f"{column}__gte": _day_start(filters.since)})
    if filters.until:
        conditions &= Q(**{f"{column}__lt": _day_start(filters.until + datetime.timedelta(days=1))})
    return conditions


def _previous_version(source: Source) -> Subquery:
    """The version of the object's event before this one (one probe of the index on object and event)."""
    before = source.events._default_manager.filter(
        pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id")
    )
    return Subquery(before.order_by("-pgh_id").values("version")[:1])


@dataclass(frozen=True)
class Detail:
    data: dict[str, Any]
    previous: dict[str, Any] | None
    current: dict[str, Any] | None
    context: dict[str, Any]
    label: str  # created, updated, deleted, linked, unlinked; a review record's submitted or decided


def _details(rows: list[dict[str, Any]]) -> dict[tuple[str, int], Detail]:
    """Query 2: the page's events in full, with the row before each and the object as it is now; a review record's
    moment as the record (without the model's snapshot, which a diff reads) and who it names as its context."""
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row["model"], []).append(row["pgh_id"])
    if not wanted:
        return {}
    quote = connection.ops.quote_name
    selects: list[str] = []
    params: list[Any] = []
    for label, ids in wanted.items():
        if label in DECISIONS_BY_LABEL:
            selects.append(_decisions_select(DECISIONS_BY_LABEL[label]))
            params += [label, DECISIONS_BY_LABEL[label].moment, ids]
            continue
        source = BY_LABEL[label]
        table, live = quote(source.events._meta.db_table), quote(source.model._meta.db_table)
        selects.append(
            f"SELECT %s::text, e.pgh_id, e.pgh_label, row_to_json(e)::jsonb, "  # noqa: S608 - table names from the models
            f"(SELECT row_to_json(p)::jsonb FROM {table} p WHERE p.pgh_obj_id = e.pgh_obj_id "
            f"AND p.pgh_id < e.pgh_id ORDER BY p.pgh_id DESC LIMIT 1), "
            f"(SELECT row_to_json(o)::jsonb FROM {live} o WHERE o.id = e.pgh_obj_id), "
            f"(SELECT c.metadata FROM pghistory_context c WHERE c.id = e.pgh_context_id) "
            f"FROM {table} e WHERE e.pgh_id = ANY(%s)"
        )
        params += [label, ids]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        return {
            (label, pgh_id): Detail(
                _json(data), _json(previous), _json(current), _json(context) or {}, event_label
            )
            for label, pgh_id, event_label, data, previous, current, context in cursor.fetchall()
        }


def _decisions_select(decisions: Decisions) -> str:
    quote = connection.ops.quote_name
    record = ", ".join(
        f"'{column.attname}', e.{quote(str(column.column))}"
        for column in decisions.model._meta.concrete_fields
        if not isinstance(column, models.JSONField)
    )
    return (
        f"SELECT %s::text, e.id, %s::text, jsonb_build_object({record}), NULL::jsonb, NULL::jsonb, "  # noqa: S608 - names from the model
        f"jsonb_build_object('user', e.{quote(decisions.by_column)}) "
        f"FROM {quote(decisions.model._meta.db_table)} e WHERE e.id = ANY(%s)"
    )


def _json(value: Any) -> Any:
    """A jsonb value from a raw query: Django's PostgreSQL backend leaves its decoding to the fields, so a raw
    cursor gives the text."""
    return json.loads(value) if isinstance(value, str) else value


# Names: the people and objects a page mentions. Each named model gives its name, and its project and number
# where links to it need them.
type Named = tuple[str, int | None, int | None, str | None]  # name, project id, number, project name

_NO_INT = Cast(Value(None), models.BigIntegerField())
_NO_TEXT = Cast(Value(None), models.TextField())


def _name_query(model: type[models.Model], ids: set[int]) -> models.QuerySet[Any]:
    number = Cast("number", models.TextField())
    shown: dict[type[models.Model], Any] = {
        User: Coalesce(NullIf(F("name"), Value("")), F("email")),
        Threat: Concat(Value("T-"), number, output_field=models.TextField()),
        BusinessRisk: Concat(Value("R-"), number, Value(" "), F("title"), output_field=models.TextField()),
        Control: F("title"),
    }
    has_project = any(f.name == "project" for f in model._meta.concrete_fields)
    has_number = any(f.name == "number" for f in model._meta.concrete_fields)
    return (
        model._default_manager.filter(pk__in=ids)
        .annotate(
            label=Value(model._meta.label, output_field=models.TextField()),
            shown=Cast(shown.get(model, F("name")), models.TextField()),
            in_project=Cast(F("project_id"), models.BigIntegerField()) if has_project else _NO_INT,
            numbered=Cast(F("number"), models.BigIntegerField()) if has_number else _NO_INT,
            project_name=Cast(F("project__name"), models.TextField()) if has_project else _NO_TEXT,
        )
        .values_list("label", "pk", "shown", "in_project", "numbered", "project_name")
        .order_by()
    )


NAMED_MODELS = (User, Team, Project, TrustZone, Asset, Component, DataFlow, Threat, Control, BusinessRisk)


def _names(details: Mapping[tuple[str, int], Detail], *, with_projects: bool) -> dict[tuple[str, int], Named]:
    """Query 3: the names of everything the page's events point at, and who made each change."""
    wanted: dict[type[models.Model], set[int]] = {}
    for (label, _), detail in details.items():
        model = _model_of(label)
        user = detail.context.get("user")
        if isinstance(user, int):
            wanted.setdefault(User, set()).add(user)
        for row in (detail.data, detail.previous or {}):
            for column, value in row.items():
                related = _related_model(model, column)
                if related in NAMED_MODELS and isinstance(value, int):
                    if related is Project and not with_projects and model not in (Comment, ModelReview):
                        continue
                    wanted.setdefault(related, set()).add(value)
    queries = [_name_query(model, ids) for model, ids in wanted.items()]
    if not queries:
        return {}
    first, *others = queries
    # order_by(): a union would otherwise take the first model's default order, which names no column of it.
    combined = (first.union(*others, all=True) if others else first).order_by()
    return {
        (label, pk): (shown, project, number, name) for label, pk, shown, project, number, name in combined
    }


def _fields_by_column(model: type[models.Model]) -> dict[str, "models.Field[Any, Any]"]:
    return {f.attname: f for f in model._meta.concrete_fields}


def _related_model(model: type[models.Model], column: str) -> type[models.Model] | None:
    found = _fields_by_column(model).get(column)
    if found is None or not found.many_to_one:
        return None
    return found.related_model


# From events to sentences -----------------------------------------------------------------------------------

VERBS = {
    "created": "added",
    "updated": "changed",
    "deleted": "deleted",
    "linked": "linked",
    "unlinked": "unlinked",
}


# A link added or removed reads as linked or unlinked, whichever trackers record it.
LINK_VERBS = {"created": "linked", "deleted": "unlinked"}


def _activity(
    organisation: Organisation,
    project: Project | None,
    row: dict[str, Any],
    detail: Detail,
    names: Mapping[tuple[str, int], Named],
) -> Activity | None:
    if row["model"] in DECISIONS_BY_LABEL:
        return _decision(organisation, project, DECISIONS_BY_LABEL[row["model"]], row, detail, names)
    source = BY_LABEL[row["model"]]
    user_id = detail.context.get("user")
    who = (
        names.get((User._meta.label, user_id), ("a former member", None, None, None))[0]
        if user_id
        else "the system"
    )
    data = detail.data
    is_comment = source.model is Comment
    fields = _changes(source.model, detail, names) if detail.label == "updated" and not is_comment else ()
    verb = _comment_verb(detail) if is_comment else VERBS.get(detail.label, detail.label)
    if source.ends and detail.label in LINK_VERBS:
        verb = LINK_VERBS[detail.label]
    if detail.label == "updated" and not fields and not is_comment:
        return None  # saved without a visible change (only its version moved)
    project_id, project_name = _project_of(source, data, names) if project is None else (None, None)
    return Activity(
        at=row["pgh_created_at"],
        who=str(who),
        who_id=user_id if isinstance(user_id, int) else None,
        verb=verb,
        noun="" if is_comment else source.noun,
        subject=_subject(source, data, names),
        url=_url(organisation, source, detail, names),
        project=project_name or "",
        project_url=reverse("project_detail", args=[organisation.slug, project_id]) if project_name else None,
        fields=fields,
        is_link=bool(source.ends),
    )


def _project_of(
    source: Source, data: dict[str, Any], names: Mapping[tuple[str, int], Named]
) -> tuple[int | None, str | None]:
    """The project an event happened in, for the organisation's feed: its own column, else its ends'."""
    if data.get("project_id"):
        found = names.get((Project._meta.label, data["project_id"]))
        return (data["project_id"], found[0]) if found else (None, None)
    for column in source.ends:
        target = _related_model(source.model, column)
        value = data.get(column)
        found = names.get((target._meta.label, value)) if target is not None and value else None
        if found and found[1]:
            return found[1], found[3]
    return None, None


# A review decision as a sentence: its verb, what it acts on, and what follows its subject.
MODEL_REVIEW_WORDS = {
    "submitted": ("submitted", "for review"),
    ReviewDecision.APPROVED: ("approved", ""),
    ReviewDecision.CHANGES_REQUESTED: ("asked for changes to", ""),
    ReviewDecision.WITHDRAWN: ("withdrew", "from review"),
}
THREAT_REVIEW_WORDS = {
    ThreatReviewDecision.CONFIRMED: ("confirmed", ""),
    ThreatReviewDecision.REJECTED: ("rejected", ""),
    ThreatReviewDecision.CHANGES_REQUESTED: ("sent back", "for changes"),
}


def _decision(
    organisation: Organisation,
    project: Project | None,
    decisions: Decisions,
    row: dict[str, Any],
    detail: Detail,
    names: Mapping[tuple[str, int], Named],
) -> Activity:
    """“Sam Lead approved the threat model of “Checkout””, “Sam Lead rejected threat T-4”, with the words given,
    linked to the Review tab or the threat's review. A review is always someone's: a person since removed from
    the organisation is a former member, never the system."""
    data, slug = detail.data, organisation.slug
    user_id = detail.context.get("user")
    found = names.get((User._meta.label, user_id)) if isinstance(user_id, int) else None
    who = found[0] if found else "a former member"
    if decisions.model is ModelReview:
        submitted = decisions.moment == "submitted"
        verb, tail = MODEL_REVIEW_WORDS["submitted" if submitted else data["decision"]]
        return Activity(
            at=row["pgh_created_at"],
            who=who,
            who_id=user_id if found else None,
            verb=verb,
            noun="the threat model of",
            subject=_name(names, Project, data["project_id"]),
            url=reverse("project_review", args=[slug, data["project_id"]]) + "#review-history",
            tail=tail,
            words=data["note"] if submitted else data["comment"],
        )
    verb, tail = THREAT_REVIEW_WORDS[data["decision"]]
    # The organisation's feed says which project the threat is in.
    threat = names.get((Threat._meta.label, data["threat_id"])) if project is None else None
    return Activity(
        at=row["pgh_created_at"],
        who=who,
        who_id=user_id if found else None,
        verb=verb,
        noun="threat",
        subject=_name(names, Threat, data["threat_id"]),
        url=_target_url(slug, Threat, data["threat_id"], names, "#threat-review"),
        project=(threat[3] or "") if threat else "",
        project_url=reverse("project_detail", args=[slug, threat[1]]) if threat else None,
        tail=tail,
        words=data["comment"],
    )


# How long a decision may take to write the status change it causes (one transaction: well under this).
DECISION_WRITTEN_WITHIN = datetime.timedelta(minutes=1)


class StatusChange(NamedTuple):
    """A project's or a threat's status changed by someone: as its history records it, or as a review decision
    causes it (from and to the statuses the decision's record tells, None where it does not)."""

    model: str
    obj_id: int
    user: int | None
    before: str | None
    after: str | None


def _told_by_decisions(
    rows: list[dict[str, Any]], details: Mapping[tuple[str, int], Detail]
) -> set[tuple[str, int]]:
    """The status changes on the page that its review decisions caused, and tell: for each decision, the change of
    its project or threat by the same person, between the statuses the decision gives, the closest in time to it."""
    at = {(row["model"], row["pgh_id"]): row["pgh_created_at"] for row in rows}
    recorded: dict[tuple[str, int, int | None], list[tuple[tuple[str, int], StatusChange]]] = {}
    for key, detail in details.items():
        before, after = (detail.previous or {}).get("status"), detail.data.get("status")
        if key[0] in STATUS_MODELS and detail.label == "updated" and before != after:
            change = StatusChange(
                key[0], detail.data["pgh_obj_id"], detail.context.get("user"), before, after
            )
            recorded.setdefault(change[:3], []).append((key, change))
    told: set[tuple[str, int]] = set()
    for key, detail in details.items():
        if key[0] not in DECISIONS_BY_LABEL:
            continue
        caused = _caused(DECISIONS_BY_LABEL[key[0]], detail)
        candidates = [
            event
            for event, change in recorded.get(caused[:3], [])
            if event not in told
            and abs(at[event] - at[key]) <= DECISION_WRITTEN_WITHIN
            and caused.before in (None, change.before)
            and caused.after in (None, change.after)
        ]
        if candidates:
            told.add(min(candidates, key=lambda event: abs(at[event] - at[key])))
    return told


STATUS_MODELS = (Project._meta.label, Threat._meta.label)


def _caused(decisions: Decisions, detail: Detail) -> StatusChange:
    """The status change a review record's moment causes (projects.review_services)."""
    data, who = detail.data, detail.context.get("user")
    if decisions.model is ThreatReview:
        after = THREAT_STATUS_AFTER[data["decision"]]
        return StatusChange(Threat._meta.label, data["threat_id"], who, data["status_before"], after)
    project = Project._meta.label, data["project_id"], who
    if decisions.moment == "submitted":
        return StatusChange(*project, data["status_before"], ProjectStatus.IN_REVIEW)
    if data["decision"] == ReviewDecision.APPROVED:
        return StatusChange(*project, None, ProjectStatus.ACTIVE)
    # Sent back or withdrawn: back to where it was, or a draft.
    return StatusChange(*project, ProjectStatus.IN_REVIEW, None)


def _comment_verb(detail: Detail) -> str:
    if detail.label == "created":
        return "commented on"
    if detail.label == "deleted" or (
        detail.data.get("deleted_at") and not (detail.previous or {}).get("deleted_at")
    ):
        return "deleted a comment on"
    return "edited a comment on"


def _name(names: Mapping[tuple[str, int], Named], model: type[models.Model], pk: Any) -> str:
    found = names.get((model._meta.label, pk))
    if found is None:
        return f"a deleted {model._meta.verbose_name}"
    return found[0] if model in (Threat, BusinessRisk) else f"“{found[0]}”"


def _subject(source: Source, data: dict[str, Any], names: Mapping[tuple[str, int], Named]) -> str:
    model = source.model
    if model is Comment:
        for column, target in (("threat_id", Threat), ("control_id", Control), ("risk_id", BusinessRisk)):
            if data.get(column):
                return _name(names, target, data[column])
        return _name(names, Project, data.get("project_id"))
    if source.ends:
        first, second = (_related_model(model, column) for column in source.ends)
        assert first is not None
        assert second is not None
        return f"{_name(names, first, data.get(source.ends[0]))} to {_name(names, second, data.get(source.ends[1]))}"
    if model is Threat:
        return f"T-{data.get('number')}"
    if model is BusinessRisk:
        return f"R-{data.get('number')} “{data.get('title', '')}”"
    if model is RiskAcceptance:
        return f"of {_name(names, BusinessRisk, data.get('risk_id'))}"
    if model is ScoringSettings:
        return ""
    return f"“{data.get('name') or data.get('title') or ''}”"


def _url(
    organisation: Organisation, source: Source, detail: Detail, names: Mapping[tuple[str, int], Named]
) -> str | None:
    """The page of the object, or of what a link or a comment hangs from, while it exists."""
    current = detail.current
    if current is None or (source.model is Comment and current.get("deleted_at")):
        return None
    slug = organisation.slug
    model, pk = source.model, current.get("id")
    if model is Comment:
        for column, on in (("threat_id", Threat), ("control_id", Control), ("risk_id", BusinessRisk)):
            if current.get(column):
                return _target_url(slug, on, current[column], names, f"#comment-{pk}")
        return reverse("project_detail", args=[slug, current["project_id"]]) + f"#comment-{pk}"
    if source.ends:
        for column in reversed(source.ends):
            end = _related_model(model, column)
            if end is not None and (url := _target_url(slug, end, current.get(column), names)):
                return url
        return None
    if model in (RiskAcceptance,):
        return _target_url(slug, BusinessRisk, current.get("risk_id"), names)
    if model is ScoringSettings:
        return reverse("scoring_settings", args=[slug])
    if model is Project:
        return reverse("project_detail", args=[slug, pk])
    if model is BusinessRisk:
        return reverse("risk_detail", args=[slug, current["number"]])
    if model is Threat:
        return reverse("threat_detail", args=[slug, current["project_id"], current["number"]])
    return reverse(_DETAIL_ROUTES[model], args=[slug, current["project_id"], pk])


_DETAIL_ROUTES: dict[type[models.Model], str] = {
    TrustZone: "zone_detail",
    Asset: "asset_detail",
    Component: "component_detail",
    DataFlow: "flow_detail",
    Control: "control_detail",
}


def _target_url(
    slug: str, model: type[models.Model], pk: Any, names: Mapping[tuple[str, int], Named], anchor: str = ""
) -> str | None:
    found = names.get((model._meta.label, pk))
    if found is None:
        return None
    _, project_id, number, _ = found
    if model is Threat:
        return reverse("threat_detail", args=[slug, project_id, number]) + anchor
    if model is BusinessRisk:
        return reverse("risk_detail", args=[slug, number]) + anchor
    if model in _DETAIL_ROUTES:
        return reverse(_DETAIL_ROUTES[model], args=[slug, project_id, pk]) + anchor
    return None


def _changes(
    model: type[models.Model], detail: Detail, names: Mapping[tuple[str, int], Named]
) -> tuple[FieldChange, ...]:
    previous = detail.previous or {}
    fields = _fields_by_column(model)
    changes = []
    for column, after in detail.data.items():
        if column.startswith("pgh_") or column in HIDDEN_FIELDS or column not in previous:
            continue
        before = previous[column]
        if before == after or column not in fields:
            continue
        model_field = fields[column]
        label = str(model_field.verbose_name)
        changes.append(
            FieldChange(
                label[:1].upper() + label[1:],
                _shown(model_field, before, names),
                _shown(model_field, after, names),
            )
        )
    return tuple(changes)


def _shown(model_field: "models.Field[Any, Any]", value: Any, names: Mapping[tuple[str, int], Named]) -> str:
    """A stored value as the pages show it: names of related objects, choice labels, yes or no, dates."""
    if value is None or value == "" or value == []:
        return "—"
    if model_field.many_to_one:
        related = model_field.related_model
        found = names.get((related._meta.label, value))  # type: ignore[union-attr]
        return found[0] if found else f"a deleted {model_field.verbose_name}"
    if isinstance(model_field, models.JSONField):
        return "(a new set of values)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    base = model_field.base_field if isinstance(model_field, ArrayField) else model_field
    choices = dict(base.flatchoices or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        return timezone.localtime(moment).strftime("%-d %b %Y, %H:%M") if moment else value
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        return day.strftime("%-d %b %Y") if day else value
    return str(choices.get(value, value))

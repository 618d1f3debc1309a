"""Pages that several members have open at once: who else is viewing a page, and whether what it shows has
changed since it was drawn.

A live page (the Model page, the threat list, a threat's page, the Review tab) polls a cheap endpoint
(projects.live_views).
Each poll costs one query, which resolves the member's organisation and the project (404 otherwise) and
reads the page's token: for each kind of object the page shows, how many there are, the sum of their versions
and their latest change. Every save bumps a version and stamps `updated_at`, every insert and delete changes
the count, so the token moves whenever the page would. Presence is kept in the cache, not the database: a
short-lived entry per (organisation, page, member), renewed by each poll, and a roster of the members seen
on the page lately. Only when the token moved does a second query read the history the triggers keep, to
say who changed what.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection, models
from django.db.models import CharField, F, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404
from django.urls import reverse

from projects.models import (
    Asset,
    Component,
    ComponentAsset,
    Control,
    DataFlow,
    FlowAsset,
    Membership,
    Organisation,
    Project,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
    User,
)
from projects.review_models import SUBMITTED, ModelReview, ReviewDecision

POLL_SECONDS = 4
# A member counts as viewing a page this long after their last poll: a little over three polls, so one slow
# or lost poll does not make them leave and come back.
PRESENCE_SECONDS = 14
# The roster of a page outlives any one member's presence; it only tells whose entries to look up.
ROSTER_SECONDS = 60 * 60
# The changes a notice names; it counts the rest.
NAMED_CHANGES = 3
CHANGES_READ = 50


class PageKind(StrEnum):
    MODEL = "model"  # the Model page: the project, its trust zones, assets, components and data flows
    THREATS = "threats"  # the threat list: the project and its threats
    THREAT = "threat"  # a threat's page: the threat, its control links and those controls
    # The Review tab: the project, its reviews, and what its sign-off reads (the model, its threats and controls).
    REVIEW = "review"


@dataclass(frozen=True)
class LivePage:
    """A page as the live endpoint knows it, with its token now ("" for a threat that is gone)."""

    kind: PageKind
    organisation_id: int
    organisation_slug: str
    project_id: int
    threat_number: int | None
    token: str

    @property
    def key(self) -> str:
        suffix = f":{self.threat_number}" if self.kind is PageKind.THREAT else ""
        return f"{self.kind}:{self.project_id}{suffix}"

    @property
    def gone(self) -> bool:
        return not self.token

    def url(self) -> str:
        """The page itself, to reload it."""
        args: list[object] = [self.organisation_slug, self.project_id]
        if self.kind is PageKind.THREAT:
            return reverse("threat_detail", args=[*args, self.threat_number])
        names = {PageKind.THREATS: "threat_list", PageKind.REVIEW: "project_review"}
        return reverse(names.get(self.kind, "project_detail"), args=args)

    def history_url(self) -> str:
        """Where the changes can be read: the threat's history, or the project's."""
        if self.kind is PageKind.THREAT and not self.gone:
            return self.url() + "#history-heading"
        return reverse("project_history", args=[self.organisation_slug, self.project_id])

    def poll_url(self, *, opened: float, page_token: str, people: str) -> str:
        """The endpoint's address with what the page knows: when it was drawn, its token then and now, and who
        it shows as viewing."""
        args: list[object] = [self.organisation_slug, self.project_id]
        if self.kind is PageKind.THREAT:
            args.append(self.threat_number)
        query = {"opened": f"{opened:.3f}", "page": page_token, "since": self.token, "people": people}
        return f"{reverse(f'live_{self.kind}', args=args)}?{urlencode(query)}"


# The token ---------------------------------------------------------------------------------------------------


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _digest(model: type[models.Model], where: str) -> str:
    """How many rows, their versions' sum and their latest change, as one text: an indexed read by `where`."""
    return (
        f"(SELECT concat_ws('.', count(*), sum(version), max(updated_at)) FROM {_table(model)} part "  # noqa: S608 - table names from the models
        f"WHERE {where})"
    )


def _links_digest(model: type[models.Model], end: type[models.Model], column: str) -> str:
    """How many links a project's parts (`end`, by `column`) have, with their ids' sum and the latest: a link is
    only ever added or removed, and a new one has a new id, so any change to them moves it."""
    return (
        f"(SELECT concat_ws('.', count(*), sum(part.id), max(part.id)) FROM {_table(model)} part "  # noqa: S608 - table names from the models
        f"WHERE part.{column} IN (SELECT id FROM {_table(end)} WHERE project_id = p.id))"
    )


def _token_sql(kind: PageKind) -> str:
    """One statement: the member's organisation, the project in it, (the threat) and the page's token."""
    # Which assets a component or a flow holds is part of the Model page and of the model a review signs off.
    model_links = [
        _links_digest(ComponentAsset, Component, "component_id"),
        _links_digest(FlowAsset, DataFlow, "flow_id"),
    ]
    if kind is PageKind.MODEL:
        parts = [_digest(m, "part.project_id = p.id") for m in (TrustZone, Asset, Component, DataFlow)]
        parts += model_links
    elif kind is PageKind.REVIEW:
        # A review is never edited, only decided: its count and latest moment (submitted or decided) move.
        threats = f"SELECT id FROM {_table(Threat)} WHERE project_id = p.id"  # noqa: S608 - a model's table
        parts = [
            f"(SELECT concat_ws('.', count(*), max(greatest(submitted_at, decided_at))) "  # noqa: S608 - a model's table
            f"FROM {_table(ModelReview)} part WHERE part.project_id = p.id)",
            *(
                _digest(m, "part.project_id = p.id")
                for m in (TrustZone, Asset, Component, DataFlow, Threat, Control)
            ),
            *model_links,
            _digest(ThreatControl, f"part.threat_id IN ({threats})"),
            *(
                _links_digest(link, Threat, "threat_id")
                for link in (ThreatAsset, ThreatComponent, ThreatFlow)
            ),
        ]
    elif kind is PageKind.THREATS:
        parts = [_digest(Threat, "part.project_id = p.id")]
    else:
        controls = f"SELECT link.control_id FROM {_table(ThreatControl)} link WHERE link.threat_id = t.id"  # noqa: S608
        parts = [
            "t.version::text",
            "t.updated_at::text",
            _digest(ThreatControl, "part.threat_id = t.id"),
            _digest(Control, f"part.id IN ({controls})"),
        ]
    threat_join = (
        f"LEFT JOIN {_table(Threat)} t ON t.project_id = p.id AND t.number = %(number)s"
        if kind is PageKind.THREAT
        else ""
    )
    gone = "CASE WHEN t.id IS NULL THEN '' ELSE " if kind is PageKind.THREAT else "("
    ending = " END" if kind is PageKind.THREAT else ")"
    return (
        f"SELECT o.id, {gone}md5(concat_ws('|', p.version::text, {', '.join(parts)})){ending} "  # noqa: S608 - table names from the models; values are parameters
        f"FROM {_table(Membership)} m "
        f"JOIN {_table(Organisation)} o ON o.id = m.organisation_id "
        f"JOIN {_table(Project)} p ON p.organisation_id = m.organisation_id "
        f"{threat_join} "
        "WHERE m.user_id = %(user)s AND o.slug = %(slug)s AND p.id = %(project)s"
    )


TOKEN_SQL = {kind: _token_sql(kind) for kind in PageKind}


def live_page(
    user: User, organisation_slug: str, kind: PageKind, project_id: int, threat_number: int | None = None
) -> LivePage:
    """The page and its token now, in one query starting from the user's membership; 404 when the user is not
    a member of the organisation or the project is not one of its projects. A threat that is gone has the
    token "" (live_views tells a deleted threat from one that never was)."""
    params: dict[str, int | str | None] = {
        "user": user.pk,
        "slug": organisation_slug,
        "project": project_id,
        "number": threat_number,
    }
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_SQL[kind], params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such project.")
    organisation_id, token = row
    return LivePage(kind, organisation_id, organisation_slug, project_id, threat_number, token or "")


# Presence ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str


def _presence_key(page: LivePage, user_id: int) -> str:
    return f"live:{page.organisation_id}:{page.key}:{user_id}"


def _roster_key(page: LivePage) -> str:
    return f"live:{page.organisation_id}:{page.key}"


def present(page: LivePage, user: User, now: float | None = None) -> list[Viewer]:
    """Note that the user is viewing the page now, and name the others viewing it, by name.

    A member's entry holds the time it runs out (the cache's own expiry is the backstop); the roster lists
    whose entries to read. Two members arriving at once may overwrite each other's roster entry; each poll
    puts its member back, so that costs one poll at most."""
    now = time.time() if now is None else now
    entry = {"name": user.display_name, "until": now + PRESENCE_SECONDS}
    cache.set(_presence_key(page, user.pk), entry, timeout=PRESENCE_SECONDS)
    roster: set[int] = set(cache.get(_roster_key(page)) or ())
    others = roster - {user.pk}
    entries = cache.get_many([_presence_key(page, user_id) for user_id in others])
    viewers = [
        Viewer(user_id, found["name"])
        for user_id in others
        if (found := entries.get(_presence_key(page, user_id))) and found["until"] > now
    ]
    kept = {viewer.user_id for viewer in viewers} | {user.pk}
    if kept != roster:
        cache.set(_roster_key(page), kept, timeout=ROSTER_SECONDS)
    return sorted(viewers, key=lambda viewer: (viewer.name.casefold(), viewer.user_id))


def people_token(viewers: Sequence[Viewer]) -> str:
    """Who the page shows as viewing, to tell whether anyone came or left since."""
    return ".".join(str(user_id) for user_id in sorted(viewer.user_id for viewer in viewers))


# Who changed what --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """Someone's latest change to one object since the page was drawn."""

    who: str
    verb: str  # "changed", "added", "deleted", "linked", ...
    what: str  # "T-12", "component “API”"
    at: datetime


@dataclass(frozen=True)
class Changes:
    """What changed on a page since it was drawn: the others' changes, newest first, and whether the member
    changed anything themself."""

    by_others: list[Activity]
    by_me: bool
    more: int = 0  # the others' changes not named


VERBS = {"created": "added", "updated": "changed", "deleted": "deleted"}
LINK_VERBS = {"created": "linked", "updated": "changed the link to", "deleted": "unlinked"}
# A project's row changed by a step of its model's review: what the step was, rather than "changed the project".
REVIEW_STEPS = {
    SUBMITTED: ("submitted", "the model for review"),
    ReviewDecision.APPROVED: ("approved", "the model"),
    ReviewDecision.CHANGES_REQUESTED: ("asked for changes to", "the model"),
    ReviewDecision.WITHDRAWN: ("withdrew", "the model from review"),
}


def _events(model: type[models.Model], kind: str, subject: Any, since: datetime, **filters: Any) -> Any:
    event_model = next(iter(model.pgh_event_models.values()))  # type: ignore[attr-defined]
    return event_model.objects.filter(pgh_created_at__gt=since, **filters).values(
        live_at=F("pgh_created_at"),
        live_label=F("pgh_label"),
        live_user=KeyTextTransform("user", "pgh_context__metadata"),
        live_kind=Value(kind),
        live_subject=Cast(subject, CharField()),
        live_review=KeyTextTransform("review", "pgh_context__metadata"),  # a review's step (review_services)
    )


def _named(field: str) -> Any:
    return Coalesce(F(field), Value(""), output_field=CharField())


def _threat_reference() -> Any:
    return Concat(Value("T-"), Cast(F("number"), CharField()), output_field=CharField())


def _page_events(page: LivePage, since: datetime) -> Any:
    project = _events(Project, "project", Value(""), since, pgh_obj_id=page.project_id)
    if page.kind in (PageKind.MODEL, PageKind.REVIEW):
        parts = [
            _events(model, name, _named("name"), since, project_id=page.project_id)
            for model, name in (
                (TrustZone, "trust zone"),
                (Asset, "asset"),
                (Component, "component"),
                (DataFlow, "data flow"),
            )
        ]
        if page.kind is PageKind.REVIEW:  # a submission or a decision shows as the project's status changing
            parts += [
                _events(Threat, "threat", _threat_reference(), since, project_id=page.project_id),
                _events(Control, "control", _named("title"), since, project_id=page.project_id),
            ]
        return project.union(*parts, all=True)
    if page.kind is PageKind.THREATS:
        return project.union(
            _events(Threat, "threat", _threat_reference(), since, project_id=page.project_id), all=True
        )
    number = page.threat_number or 0
    threat = _events(Threat, "threat", _threat_reference(), since, project_id=page.project_id, number=number)
    links = _events(
        ThreatControl,
        "link",
        _named("control__title"),
        since,
        threat__project_id=page.project_id,
        threat__number=number,
    )
    controls = _events(
        Control,
        "control",
        _named("title"),
        since,
        project_id=page.project_id,
        pgh_obj_id__in=ThreatControl.objects.filter(
            threat__project_id=page.project_id, threat__number=number
        ).values("control_id"),
    )
    return threat.union(links, controls, all=True)


def _phrase(kind: str, label: str, subject: str, review: str | None = None) -> tuple[str, str]:
    if kind == "project" and review in REVIEW_STEPS:
        return REVIEW_STEPS[review]
    if kind == "link":
        return LINK_VERBS.get(label, "changed"), f"control “{subject}”" if subject else "a control"
    verb = VERBS.get(label, "changed")
    if kind == "project":
        return verb, "the project details"
    if kind == "threat":
        return verb, subject
    return verb, f"{kind} “{subject}”" if subject else f"a {kind}"


def changes_since(page: LivePage, since: datetime, me: User) -> Changes:
    """Who changed what on the page after `since`, from the history the triggers keep: the others' latest
    change to each object, newest first (two queries: the events, then the names of who made them)."""
    events = list(_page_events(page, since).order_by("-live_at")[:CHANGES_READ])
    mine = str(me.pk)
    theirs = [event for event in events if event["live_user"] != mine]
    user_ids = {int(event["live_user"]) for event in theirs if (event["live_user"] or "").isdigit()}
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    latest: dict[tuple[str, str, str], Activity] = {}
    for event in theirs:
        user, kind, subject = event["live_user"] or "", event["live_kind"], event["live_subject"]
        who = names.get(int(user), "someone") if user.isdigit() else "the system"
        review = event["live_review"] if kind == "project" else None
        verb, what = _phrase(kind, event["live_label"], subject, review)
        # The latest change to each object by each person; a review's step apart from an edit of the project.
        latest.setdefault((who, kind, review or subject), Activity(who, verb, what, event["live_at"]))
    activities = list(latest.values())
    return Changes(
        by_others=activities[:NAMED_CHANGES],
        by_me=len(theirs) < len(events),
        more=max(0, len(activities) - NAMED_CHANGES),
    )


@dataclass(frozen=True)
class Deletion:
    who: str
    at: datetime


def threat_deletion(page: LivePage) -> Deletion | None:
    """Who deleted the page's threat, and when; None when no threat of that number ever existed here."""
    found = (
        next(iter(Threat.pgh_event_models.values()))  # type: ignore[attr-defined]
        .objects.filter(project_id=page.project_id, number=page.threat_number, pgh_label="deleted")
        .order_by("-pgh_id")
        .values("pgh_created_at", "pgh_context__metadata__user")
        .first()
    )
    if found is None:
        return None
    user_id = found["pgh_context__metadata__user"]
    user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
    return Deletion(who=user.display_name if user else "someone", at=found["pgh_created_at"])


# What the page sends back ------------------------------------------------------------------------------------


def opened_at(value: str) -> datetime:
    """The time the page was drawn, as it sends it back (seconds since 1970); ValueError for anything else."""
    seconds = float(value)
    if not math.isfinite(seconds) or not 0 <= seconds < 2**33:
        raise ValueError(value)
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class Bar:
    """What a live page's bar shows, and where it polls next."""

    page: LivePage
    poll_url: str
    viewers: list[Viewer]
    changes: Changes | None = None  # None: nothing changed since the page was drawn
    deletion: Deletion | None = None
    poll_seconds: int = POLL_SECONDS

    @property
    def viewing(self) -> str:
        """ "Bob is", "Alice and Bob are", "Alice, Bob and 3 others are" (also viewing this page)."""
        names = [viewer.name for viewer in self.viewers]
        if len(names) > 3:
            names = [*names[:2], f"{len(names) - 2} others"]
        if not names:
            return ""
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"{listed} {'is' if len(self.viewers) == 1 else 'are'}"

    @property
    def changed_unnamed(self) -> bool:
        """The page changed, but its history names nobody else (a change the history does not show)."""
        return self.changes is not None and not self.changes.by_others and not self.changes.by_me


def bar(
    page: LivePage,
    *,
    opened: float,
    page_token: str,
    viewers: list[Viewer],
    changes: Changes | None = None,
    deletion: Deletion | None = None,
) -> Bar:
    poll_url = page.poll_url(opened=opened, page_token=page_token, people=people_token(viewers))
    return Bar(page, poll_url, viewers, changes, deletion)

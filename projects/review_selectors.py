"""Reads for reviews: where a project's model stands (waiting, approved, changed since), what changed, and the
organisation's review queue. Every read starts from the member's organisation or from a project the member's
own lookup found (projects.workspace_selectors.project_of)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from pghistory.models import Events, EventsQuerySet

from projects import attention
from projects.models import (
    Asset,
    Component,
    ComponentAsset,
    Control,
    DataFlow,
    FlowAsset,
    Membership,
    Project,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
)
from projects.review_content import (
    KINDS,
    ModelDiff,
    Snapshot,
    digest_of,
    labels_of,
    model_diff,
    model_snapshot,
)
from projects.review_models import ModelReview, ReviewDecision, ThreatReview
from projects.workspace_selectors import EstateScope, Seen

REVIEWS_SHOWN = 10  # the latest reviews a project's Review tab lists


@dataclass(frozen=True)
class ReviewState:
    """Where a project's model stands: the review waiting for a decision, the latest approval, and the model's
    content now with its digest."""

    open_review: ModelReview | None
    approval: ModelReview | None
    snapshot: Snapshot
    digest: str

    @property
    def changed_since_approval(self) -> bool:
        return self.approval is not None and self.approval.digest != self.digest

    @property
    def changed_since_submission(self) -> bool:
        return self.open_review is not None and self.open_review.digest != self.digest


def _reviews(project: Project) -> QuerySet[ModelReview]:
    return ModelReview.objects.filter(project=project).select_related("submitted_by", "decided_by")


def latest_approval(project: Project) -> ModelReview | None:
    return _reviews(project).filter(decision=ReviewDecision.APPROVED).order_by("-decided_at", "-pk").first()


def open_review(project: Project) -> ModelReview | None:
    return _reviews(project).filter(decision="").first()


def review_state(project: Project) -> ReviewState:
    """In a fixed number of queries: the content's (projects.review_content.model_snapshot) and two more. Whether
    the model changed since its approval is a comparison of two digests."""
    snapshot = model_snapshot(project)
    return ReviewState(
        open_review=open_review(project),
        approval=latest_approval(project),
        snapshot=snapshot,
        digest=digest_of(snapshot),
    )


def reviews_of(project: Project) -> QuerySet[ModelReview]:
    """The project's reviews, newest first, without their snapshots (which only a diff reads)."""
    return _reviews(project).defer("snapshot")


def past_reviews(project: Project) -> list[ModelReview]:
    """The project's latest reviews, newest first."""
    return list(reviews_of(project)[:REVIEWS_SHOWN])


# Who changed the model since it was submitted ---------------------------------------------------------------

# The tables of a model's parts, each with the prefix of its parts' refs in a snapshot ("threat-12"); and the link
# tables, each with the kind of part whose snapshot holds the link and the field it is in ("assets" of a component).
_PARTS: dict[type[models.Model], str] = {
    Project: "project",
    TrustZone: "zone",
    Asset: "asset",
    Component: "component",
    DataFlow: "flow",
    Threat: "threat",
    Control: "control",
}
_LINKS: dict[type[models.Model], tuple[str, str]] = {
    ComponentAsset: ("component", "assets"),
    FlowAsset: ("flow", "assets"),
    ThreatAsset: ("threat", "assets"),
    ThreatComponent: ("threat", "targets"),
    ThreatFlow: ("threat", "targets"),
    ThreatControl: ("control", "threats"),
}
# What deciding a threat changes, which is the reviewer's part rather than an edit of the model: its status and
# the reason for it (confirmed, rejected because..., sent back).
THREAT_DECISION = frozenset({"status", "status_reason"})
WHOLE = "*"  # a part added or removed, rather than some of its fields changed
SHOWN_EDITS = 5  # the parts a refusal names; it counts the rest


def edited_since_submission(review: ModelReview, user_id: int, now: Snapshot) -> list[str]:
    """What the user changed of the model's content since `review` was submitted that is still changed now (`now`
    against the content the review recorded), by the history the database triggers keep, as a sentence names it
    ("T-3", "component “API”"): fields of a part that the snapshot holds, and the part's creation or deletion.
    Changing what is not content (an owner, a due date, the project's criticality) or deciding threats (their
    status and its reason) is not editing the model, nor is what others changed. Two queries, none when the content
    is as submitted."""
    changed = _changed_fields(review.snapshot, now)
    if not changed:
        return []
    since = Q(pgh_created_at__gte=review.submitted_at, pgh_context__user=user_id)
    columns = ("pgh_model", "pgh_label", "pgh_data", "pgh_diff", "pgh_obj_id")
    touched: dict[str, set[str]] = {}
    # A part's events carry its project (the project's own, its id), so they are read for this project alone; a
    # link's name the parts at its ends, which the snapshots know by ref.
    tables, parts = _events_of(_PARTS)
    for event in tables.references(Project(pk=review.project_id)).filter(since).only(*columns):
        model = parts[event.pgh_model]
        ref = "project" if model is Project else f"{_PARTS[model]}-{event.pgh_obj_id}"
        found = touched.setdefault(ref, set())
        if event.pgh_label == "updated":
            found.update(column.removesuffix("_id") for column in event.pgh_diff or {})
        else:
            found.add(WHOLE)
    tables, links = _events_of(_LINKS)
    for event in tables.filter(since).only(*columns):
        holder, field = _LINKS[links[event.pgh_model]]
        touched.setdefault(f"{holder}-{(event.pgh_data or {}).get(f'{holder}_id')}", set()).add(field)
    yours = [ref for ref, fields in changed.items() if _overlap(fields, touched.get(ref, set()))]
    return _named(yours, review.snapshot, now)


def _events_of(
    tracked: Iterable[type[models.Model]],
) -> tuple[EventsQuerySet, dict[str, type[models.Model]]]:
    """The history of the tracked models as one queryset, and each of them by its event model's label."""
    event_models = {model.pgh_event_model: model for model in tracked}  # type: ignore[attr-defined]
    by_label = {event_model._meta.label: model for event_model, model in event_models.items()}
    return Events.objects.across(*event_models), by_label


def _changed_fields(before: Snapshot, after: Snapshot) -> dict[str, set[str]]:
    """Each part added or removed (WHOLE, with every field it holds) or edited (the fields that differ) between two
    snapshots, by ref; threats' decisions aside."""
    changed: dict[str, set[str]] = {}
    for kind in KINDS:
        old, new = before.get(kind, {}), after.get(kind, {})
        for ref in old.keys() | new.keys():
            was, now = old.get(ref), new.get(ref)
            if was is None or now is None:
                fields = {WHOLE, *(was or now or {})}
            else:
                fields = {name for name in was.keys() | now.keys() if was.get(name) != now.get(name)}
            if kind == "threats":
                fields -= THREAT_DECISION
            if fields:
                changed[ref] = fields
    return changed


def _overlap(changed: set[str], touched: set[str]) -> bool:
    """Whether what the user did to a part is in what changed of it: they created or deleted it, or changed a field
    that differs now, or changed any field of it that the snapshot holds while it was added or removed."""
    if not touched:
        return False
    if WHOLE in touched:
        return True
    return bool(touched & (changed - {WHOLE}))


def _named(refs: list[str], before: Snapshot, after: Snapshot) -> list[str]:
    """The parts by the names a sentence gives them, in the order of KINDS (threats by number), at most
    SHOWN_EDITS and "N more"."""
    labels = labels_of(before) | labels_of(after)
    found = {
        ref: (kind, part)
        for snapshot in (before, after)
        for kind in KINDS
        for ref, part in snapshot.get(kind, {}).items()
    }
    order = list(KINDS)

    def key(ref: str) -> tuple[int, int, str]:
        kind, part = found[ref]
        return order.index(kind), int(part.get("number", 0)), labels[ref]

    names = []
    for ref in sorted(refs, key=key):
        kind = found[ref][0]
        if kind == "project":
            names.append("the project's name or description")
        elif kind == "threats":
            names.append(labels[ref])
        else:
            names.append(f"{KINDS[kind]} “{labels[ref]}”")
    if len(names) > SHOWN_EDITS:
        names = [*names[: SHOWN_EDITS - 1], f"{len(names) - SHOWN_EDITS + 1} more"]
    return names


@dataclass(frozen=True)
class Changes:
    """What changed in a project's model since a review recorded it (`since`: "approval" or "submission")."""

    since: str
    review: ModelReview
    diff: ModelDiff


def changes_since(project: Project, since: str) -> Changes | None:
    """The changes since the latest approval, or since the submission waiting for review; None when there is no
    such review. A fixed number of queries, whatever the size of the model."""
    review = open_review(project) if since == "submission" else latest_approval(project)
    if review is None:
        return None
    return Changes(since=since, review=review, diff=model_diff(review.snapshot, model_snapshot(project)))


# The review queue ----------------------------------------------------------------------------------------


def threats_in_review(membership: Membership, scope: EstateScope | None = None) -> QuerySet[Threat]:
    """The organisation's threats in review, in the scope, those waiting longest first, as the queue shows them."""
    rows = Threat.objects.filter(project__organisation=membership.organisation_id).filter(
        attention.threat_in_review()
    )
    return _as_queued((scope or EstateScope()).narrow(rows)).order_by("updated_at", "pk")


def threats_reviewed(membership: Membership, ids: list[int]) -> QuerySet[Threat]:
    """The organisation's threats of these ids as the queue shows them, once decided: in the order of the ids'
    projects and numbers."""
    rows = Threat.objects.filter(project__organisation=membership.organisation_id, pk__in=ids)
    return _as_queued(rows).order_by("project__name", "project_id", "number")


def _as_queued(rows: QuerySet[Threat]) -> QuerySet[Threat]:
    """With what the queue shows of each threat: project, team, owner, creator, impacted assets for the
    statement, and the decisions on it, latest first."""
    return rows.select_related(
        "project__team", "project__organisation", "owner", "created_by"
    ).prefetch_related(
        "impacted_assets",
        Prefetch(
            "reviews",
            queryset=ThreatReview.objects.select_related("decided_by").order_by("-decided_at", "-pk"),
            to_attr="past_decisions",
        ),
    )


def decidable_threats(membership: Membership) -> QuerySet[Threat]:
    """The threats a review decision may name: the organisation's, with what the service and the notifications
    read of each."""
    return Threat.objects.filter(project__organisation=membership.organisation_id).select_related(
        "project__organisation", "owner", "created_by"
    )


def seen_threats(
    membership: Membership, versions: dict[tuple[int, int], int]
) -> tuple[list[Seen[Threat]], list[tuple[int, int]]]:
    """The threats a review decision names by project id and number, with the versions the person saw, in the
    order named, in one query; and the (project, number) pairs that name no threat of the organisation."""
    named = Q(pk__in=[])
    for project_id, number in versions:
        named |= Q(project_id=project_id, number=number)
    found = {
        (threat.project_id, threat.number): threat for threat in decidable_threats(membership).filter(named)
    }
    missing = [key for key in versions if key not in found]
    return [Seen(found[key], version) for key, version in versions.items() if key in found], missing


def models_waiting(membership: Membership, scope: EstateScope | None = None) -> QuerySet[ModelReview]:
    """The organisation's models waiting for review, in the scope, those waiting longest first."""
    reviews = ModelReview.objects.filter(project__organisation=membership.organisation_id, decision="")
    return (
        (scope or EstateScope())
        .narrow(reviews)
        .select_related("project__team", "submitted_by")
        .defer("snapshot")
        .order_by("submitted_at", "pk")
    )

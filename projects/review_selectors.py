"""Reads for reviews: where a project's model stands (waiting, approved, changed since), what changed, and the
organisation's review queue. Every read starts from the member's organisation or from a project the member's
own lookup found (projects.workspace_selectors.project_of)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pghistory.models
from django.db import models
from django.db.models import Prefetch, Q, QuerySet

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
from projects.workspace_selectors import HIDDEN_HISTORY_FIELDS, EstateScope, Seen

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
# tables, each with the kinds of part at its two ends.
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
    ComponentAsset: ("component", "asset"),
    FlowAsset: ("flow", "asset"),
    ThreatAsset: ("threat", "asset"),
    ThreatComponent: ("threat", "component"),
    ThreatFlow: ("threat", "flow"),
    ThreatControl: ("threat", "control"),
}
# What deciding reviews changes, which is not editing the model: a threat's status and the reason for it
# (confirmed, rejected because..., sent back) and the project's status and the date of its last review.
THREAT_DECISION = frozenset({"status", "status_reason"})
_REVIEWING: dict[type[models.Model], frozenset[str]] = {
    Threat: THREAT_DECISION,
    Project: frozenset({"status", "last_reviewed_on"}),
}


def edited_since_submission(review: ModelReview, user_id: int, now: Snapshot) -> list[str]:
    """The parts of the model (by name: "T-3", "Login service") whose content changed since `review` was
    submitted (`now` against the content it recorded) and which the user edited meanwhile, by the history the
    database triggers keep; threats' statuses and their reasons left out on both sides, as deciding them is the
    reviewer's part. One query, none when the content is as submitted."""
    changed = _changed_refs(review.snapshot, now)
    if not changed:
        return []
    in_model = {
        ref for snapshot in (review.snapshot, now) for kind in KINDS for ref in snapshot.get(kind, {})
    }
    tables = {model.pgh_event_model: model for model in (*_PARTS, *_LINKS)}  # type: ignore[attr-defined]
    events = pghistory.models.Events.objects.across(*tables).filter(
        pgh_created_at__gte=review.submitted_at, pgh_context__user=user_id
    )
    edited: set[str] = set()
    for event in events.only("pgh_model", "pgh_label", "pgh_data", "pgh_diff", "pgh_obj_id"):
        model = _tracked(event.pgh_model, tables)
        data = event.pgh_data or {}
        if model in _LINKS:
            edited.update(f"{end}-{data.get(f'{end}_id')}" for end in _LINKS[model])
            continue
        if model is Project and int(event.pgh_obj_id) != review.project_id:
            continue  # the user's other projects
        if event.pgh_label == "updated":
            fields = set(event.pgh_diff or {}) - HIDDEN_HISTORY_FIELDS - _REVIEWING.get(model, frozenset())
            if not fields:
                continue
        edited.add("project" if model is Project else f"{_PARTS[model]}-{event.pgh_obj_id}")
    # Ids are the whole database's, so a ref found in either snapshot is this model's part.
    yours = changed & edited & in_model
    labels = labels_of(review.snapshot) | labels_of(now) | {"project": "the project's name or description"}
    return sorted(labels.get(ref, ref) for ref in yours)


def _tracked(label: str, tables: dict[type[models.Model], type[models.Model]]) -> type[models.Model]:
    return next(model for event_model, model in tables.items() if event_model._meta.label == label)


def _changed_refs(before: Snapshot, after: Snapshot) -> set[str]:
    """The refs of the parts added, removed or edited between two snapshots, threats' decisions aside."""

    def content(kind: str, part: dict[str, Any] | None) -> dict[str, Any] | None:
        if part is None or kind != "threats":
            return part
        return {name: value for name, value in part.items() if name not in THREAT_DECISION}

    changed: set[str] = set()
    for kind in KINDS:
        old, new = before.get(kind, {}), after.get(kind, {})
        changed.update(
            ref
            for ref in old.keys() | new.keys()
            if content(kind, old.get(ref)) != content(kind, new.get(ref))
        )
    return changed


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

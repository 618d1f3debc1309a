"""Reviews: a project's model submitted for sign-off and approved or sent back, and threats in review confirmed,
rejected or sent back, singly or many at once. The HTML views call these and nothing else.

Who does what:
- a model is submitted by whoever may edit the project (its team's engineers, security leads, owners);
- it is approved or sent back with changes requested by a security lead or an owner (the role table's
  DECIDE_THREAT_REVIEW). A sign-off is a second pair of eyes, so nobody approves a model they submitted
  themselves, nor one whose content they changed after it was submitted (deciding its threats' statuses aside):
  what they changed would be signed off by nobody but them (approval_refused). They may send it back;
- a model waiting for review may be withdrawn (taken back undecided) by whoever may submit it;
- threats are decided by security leads and owners as well.

Each write runs in one transaction inside the history context naming the member and, for a model's review, the
step (`review`: submitted, approved, changes_requested, withdrawn; projects.writes.change), and tells the people
concerned through projects.notifications.notify within it: a review requested or withdrawn → the members who can
decide it; a decision → whoever submitted the model, or each threat's creator and owner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import DateTimeField, Func
from django.urls import reverse
from django.utils import timezone

from projects.models import Membership, Project, ProjectStatus, Threat, ThreatStatus, User
from projects.notification_models import NotificationKind
from projects.notifications import Notice, notify, notify_each, review_deciders
from projects.review_content import Snapshot, digest_of, model_snapshot
from projects.review_models import (
    SUBMITTED,
    THREAT_STATUS_AFTER,
    VERDICTS,
    ModelReview,
    ReviewDecision,
    ThreatReview,
    ThreatReviewDecision,
)
from projects.review_selectors import edited_since_submission
from projects.roles import Permission
from projects.workspace_selectors import Seen
from projects.workspace_services import MAX_BULK_ITEMS, listing, require_edit, threats_set_status
from projects.writes import change, save_version, validate

# The statuses a threat is decided from: logged and not yet decided, or sent for review.
REVIEWABLE_STATUSES = frozenset({ThreatStatus.IDENTIFIED, ThreatStatus.IN_REVIEW})
# The longest note of a withdrawal, kept as the review's comment.
NOTE_LENGTH = ModelReview._meta.get_field("comment").max_length or 2_000


class ModelChanged(ValidationError):
    """The model changed after the person looked at it, so an approval would sign off what they did not see."""


class NotWaiting(ValidationError):
    """A decision on a model that is not waiting for review (never submitted, or decided meanwhile)."""


def may_decide(membership: Membership) -> bool:
    return membership.can(Permission.DECIDE_THREAT_REVIEW)


def _require_decide(membership: Membership, what: str) -> None:
    if not may_decide(membership):
        raise PermissionDenied(f"Only a security lead or an owner can {what}.")


def approval_refused(membership: Membership, review: ModelReview, now: Snapshot) -> str:
    """Why the member may not approve the model waiting in `review`, whose content is `now`; "" when they may. A
    sign-off is a second pair of eyes: not by whoever submitted the model, nor by whoever changed its content
    since (projects.review_selectors.edited_since_submission), as nobody else would have looked at that."""
    if not may_decide(membership):
        return "Only a security lead or an owner can approve a threat model."
    if review.submitted_by_id == membership.user_id:
        return "You submitted this model, so someone else signs it off."
    edited = edited_since_submission(review, membership.user_id, now)
    if edited:
        return f"You changed {listing(edited)} after this model was submitted, so someone else signs it off."
    return ""


def _review_url(project: Project) -> str:
    return reverse("project_review", args=[project.organisation.slug, project.pk])


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "someone no longer a member"


def _lock(project: Project, *, clock: bool = False) -> Project:
    """The project's row, locked for the rest of the transaction: reviews of one project are decided in turn. With
    `clock`, read in the same statement as `database_now`: the database's clock as it locked the row."""
    locking = Project.objects.select_for_update()
    if clock:
        locking = locking.annotate(
            database_now=Func(function="clock_timestamp", output_field=DateTimeField())
        )
    return locking.get(pk=project.pk)


# A project's model ---------------------------------------------------------------------------------------


def model_review_submit(*, membership: Membership, project: Project, note: str = "") -> ModelReview:
    """Submit the project's model for review: its content is recorded, the project goes into review and the
    members who can decide are told."""
    require_edit(membership, project)
    if project.status == ProjectStatus.ARCHIVED:
        raise ValidationError(
            {"project": f"{project} is archived: make it active again before asking for a review."}
        )
    review = ModelReview(
        project=project, submitted_by=membership.user, note=note.strip(), digest="-", snapshot={}
    )
    validate(review, exclude=["project", "submitted_at", "digest", "snapshot"])
    with change(membership, review=SUBMITTED):
        locked = _lock(project, clock=True)
        waiting = locked.reviews.filter(decision="").select_related("submitted_by").first()
        if waiting is not None:
            raise ValidationError(
                {
                    "project": f"{project} has been waiting for review since {waiting.submitted_at:%-d %b %Y} "
                    f"(submitted by {_who(waiting.submitted_by)})."
                }
            )
        snapshot = model_snapshot(project)
        review.snapshot, review.digest = snapshot, digest_of(snapshot)
        # By the database's clock, as the history is (PGHISTORY_CREATED_AT_FUNCTION): approval_refused reads the
        # decider's edits made since, whatever the web server's clock says.
        review.submitted_at, review.status_before = locked.database_now, locked.status  # type: ignore[attr-defined]
        try:
            review.save()
        except IntegrityError:
            raise ValidationError({"project": f"{project} is already waiting for review."}) from None
        _set_project(locked, status=ProjectStatus.IN_REVIEW)
        project.status, project.version = locked.status, locked.version
        notify(
            organisation=membership.organisation,
            recipients=review_deciders(membership.organisation_id),
            kind=NotificationKind.REVIEW_REQUESTED,
            actor=membership.user,
            subject=f"{membership.user.display_name} asks for a review of the threat model of {project}",
            url=_review_url(project),
            target=project,
        )
    return review


def _waiting(locked: Project, field: str, message: str) -> ModelReview:
    """The review waiting on the locked project, locked too; NotWaiting with `message` under `field` when none
    waits (never submitted, or decided or withdrawn meanwhile)."""
    review = locked.reviews.select_for_update().filter(decision="").first()
    if review is None:
        raise NotWaiting({field: message})
    return review


def _give_status_back(locked: Project, review: ModelReview) -> None:
    """Return the locked project, still in review, to the status it had before the review was submitted."""
    if locked.status == ProjectStatus.IN_REVIEW:
        # A project that was already in review with no model waiting (set before a submission was the only way
        # in) is not put back in review with nothing waiting.
        back = review.status_before
        _set_project(locked, status=ProjectStatus.DRAFT if back == ProjectStatus.IN_REVIEW else back)


def _set_project(project: Project, **fields: object) -> None:
    """Write the review's fields of the locked project, bumping its version as any change does."""
    names = []
    for name, value in fields.items():
        if getattr(project, name) != value:
            setattr(project, name, value)
            names.append(name)
    if names:
        save_version(project, project.version, names)


def model_review_decide(
    *,
    membership: Membership,
    project: Project,
    decision: str,
    comment: str = "",
    digest: str | None = None,
) -> ModelReview:
    """Approve the model waiting for review, or send it back with what should change (`comment`, required then).

    An approval records the model's content as approved; given `digest` (the content the approver looked at), it
    is refused with ModelChanged when the model has changed since. The project becomes active, reviewed today; a
    model sent back returns to the status it had before its submission."""
    _require_decide(membership, "approve a threat model or ask for changes to it")
    if project.organisation_id != membership.organisation_id:
        raise PermissionDenied("This project is not in your organisation.")
    if decision not in VERDICTS:
        raise ValidationError({"decision": f"Choose one of: {', '.join(value.label for value in VERDICTS)}."})
    comment = comment.strip()
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "Say what should change before the model can be approved."})
    with change(membership, review=decision):
        locked = _lock(project)
        review = _waiting(
            locked, "decision", f"{project} is not waiting for review: it has to be submitted first."
        )
        if decision == ReviewDecision.APPROVED:
            snapshot: Snapshot = model_snapshot(project)
            refused = approval_refused(membership, review, snapshot)
            if refused:
                raise PermissionDenied(refused)
            now_digest = digest_of(snapshot)
            if digest is not None and digest != now_digest:
                raise ModelChanged(
                    {
                        "digest": "The model changed since you opened this page: look at the changes and approve again."
                    }
                )
            review.snapshot, review.digest = snapshot, now_digest
            _set_project(locked, status=ProjectStatus.ACTIVE, last_reviewed_on=timezone.localdate())
        else:
            _give_status_back(locked, review)
        review.decision, review.comment = decision, comment
        review.decided_by, review.decided_at = membership.user, timezone.now()
        validate(review)
        review.save(update_fields=["decision", "comment", "decided_by", "decided_at", "snapshot", "digest"])
        project.status, project.last_reviewed_on = locked.status, locked.last_reviewed_on
        project.version = locked.version
        verdict = "approved" if decision == ReviewDecision.APPROVED else "sent back with changes requested"
        notify(
            organisation=membership.organisation,
            recipients=[review.submitted_by] if review.submitted_by else [],
            kind=NotificationKind.REVIEW_DECIDED,
            actor=membership.user,
            subject=f"The threat model of {project} was {verdict} by {membership.user.display_name}"
            + (f": {comment}" if comment else ""),
            url=_review_url(project),
            target=project,
        )
    return review


def model_review_withdraw(*, membership: Membership, project: Project, note: str = "") -> ModelReview:
    """Take back the model waiting for review, undecided (whoever may edit the project, as for a submission): the
    review is closed as withdrawn, with the note given as its comment, the project returns to the status it had
    before (as when sent back) and the members who were asked to decide it are told. NotWaiting when nothing
    waits (never submitted, or decided or withdrawn meanwhile)."""
    require_edit(membership, project)
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_LENGTH} characters."})
    with change(membership, review=ReviewDecision.WITHDRAWN):
        locked = _lock(project)
        review = _waiting(
            locked, "project", f"{project} is not waiting for review, so there is nothing to withdraw."
        )
        _give_status_back(locked, review)
        review.decision, review.comment = ReviewDecision.WITHDRAWN, note
        review.decided_by, review.decided_at = membership.user, timezone.now()
        validate(review)
        review.save(update_fields=["decision", "comment", "decided_by", "decided_at"])
        project.status, project.version = locked.status, locked.version
        # The kind of a decision: the request the deciders were told of is settled, by its submitter's side.
        notify(
            organisation=membership.organisation,
            recipients=review_deciders(membership.organisation_id),
            kind=NotificationKind.REVIEW_DECIDED,
            actor=membership.user,
            subject=f"{membership.user.display_name} withdrew the threat model of {project} from review"
            + (f": {note}" if note else ""),
            url=_review_url(project),
            target=project,
        )
    return review


# Threats in review ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreatsDecided:
    decision: str
    threats: list[Threat]

    @property
    def summary(self) -> str:
        label = ThreatReviewDecision(self.decision).label.lower()
        count = len(self.threats)
        noun = "threat" if count == 1 else "threats"
        return f"{count} {noun} {label}: {listing([_reference(threat) for threat in self.threats])}."


def _reference(threat: Threat) -> str:
    return f"{threat.project.name} {threat.reference}"


def threats_review(
    *, membership: Membership, seen: Sequence[Seen[Threat]], decision: str, comment: str = ""
) -> ThreatsDecided:
    """Decide threats identified or in review, of any projects of the organisation, each as the person saw it:
    confirm them, reject them (`comment` is the reason, required) or send them back to identified with what
    should change (`comment`, required). All of them, or none: a threat not open for review, of another
    organisation or changed since it was seen (StaleObjects) refuses the whole decision. Each decision is
    recorded (ThreatReview, and the status change in the threat's history) and told to the threats' creators and
    owners, one notification per person and project."""
    _require_decide(membership, "decide threats in review")
    if decision not in ThreatReviewDecision.values:
        raise ValidationError({"decision": f"Choose one of: {', '.join(ThreatReviewDecision.labels)}."})
    comment = comment.strip()
    if decision == ThreatReviewDecision.REJECTED and not comment:
        raise ValidationError({"comment": "Say why these threats are rejected."})
    if decision == ThreatReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "Say what should change."})
    if not seen:
        raise ValidationError({"threats": "Tick at least one first."})
    if len(seen) > MAX_BULK_ITEMS:
        raise ValidationError({"threats": f"Decide at most {MAX_BULK_ITEMS} at once."})
    threats = [item.obj for item in seen]
    if any(threat.project.organisation_id != membership.organisation_id for threat in threats):
        raise ValidationError({"threats": "Choose threats of this organisation."})
    closed = [threat for threat in threats if threat.status not in REVIEWABLE_STATUSES]
    if closed:
        verb = "is" if len(closed) == 1 else "are"
        raise ValidationError(
            {
                "threats": f"{listing([_reference(threat) for threat in closed])} {verb} not waiting for review "
                "(only identified threats and threats in review are decided here), so nothing was changed."
            }
        )
    now = timezone.now()
    records = [
        ThreatReview(
            threat=threat,
            decision=decision,
            comment=comment,
            status_before=threat.status,
            decided_by=membership.user,
            decided_at=now,
        )
        for threat in threats
    ]
    validate(records[0], exclude=["threat"])  # every record has the same values to check
    by_project: dict[int, list[Seen[Threat]]] = defaultdict(list)
    for item in seen:
        by_project[item.obj.project_id].append(item)
    with change(membership):
        for items in by_project.values():
            threats_set_status(
                membership=membership,
                project=items[0].obj.project,
                seen=items,
                status=THREAT_STATUS_AFTER[decision],
                reason=comment if decision == ThreatReviewDecision.REJECTED else "",
            )
        ThreatReview.objects.bulk_create(records)
        notify_each(
            [
                notice
                for items in by_project.values()
                for notice in _threat_people_notices(
                    membership, [item.obj for item in items], decision, comment
                )
            ]
        )
    return ThreatsDecided(decision=decision, threats=threats)


def threat_review(
    *, membership: Membership, threat: Threat, version: int, decision: str, comment: str = ""
) -> ThreatsDecided:
    """Decide one threat (see threats_review)."""
    return threats_review(
        membership=membership, seen=[Seen(threat, version)], decision=decision, comment=comment
    )


def _threat_people_notices(
    membership: Membership, threats: list[Threat], decision: str, comment: str
) -> list[Notice]:
    """What to tell each creator and owner of the threats (all of one project) of the decision on theirs, save
    the member who decided; written for every project at once (notify_each: the same two queries however many
    projects and people)."""
    project = threats[0].project
    theirs: dict[int, list[Threat]] = {}
    for threat in threats:
        for person_id in {threat.created_by_id, threat.owner_id} - {None, membership.user_id}:
            theirs.setdefault(person_id, []).append(threat)  # type: ignore[arg-type]  # None was taken out
    slug = project.organisation.slug
    label = ThreatReviewDecision(decision).label.lower()
    if decision == ThreatReviewDecision.CHANGES_REQUESTED:
        label = "sent back with changes requested"
    said = f": {comment}" if comment else ""
    notices = []
    for person_id, own in theirs.items():
        if len(own) == 1:
            subject = f"{own[0].reference} of {project} was {label} by {membership.user.display_name}{said}"
            url = reverse("threat_detail", args=[slug, project.pk, own[0].number])
            target: Threat | Project = own[0]
        else:
            references = listing([threat.reference for threat in own])
            subject = f"{references} of {project} were {label} by {membership.user.display_name}{said}"
            url = reverse("threat_list", args=[slug, project.pk])
            target = project
        notices.append(
            Notice(
                membership.organisation_id,
                person_id,
                NotificationKind.REVIEW_DECIDED,
                subject,
                url,
                actor=membership.user,
                target=target,
            )
        )
    return notices

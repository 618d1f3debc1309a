"""Every write of a comment: adding one, editing and deleting one's own, and telling the people concerned.

- Members whose role may comment (projects.roles: engineers, security leads, owners) comment on any project,
  threat, control or business risk of their organisation, whichever team owns it.
- Only the author edits a comment, from the version they read (EditConflict otherwise).
- The author deletes their comment, and so do the organisation's owners (to remove what should not be there).
  Deleting keeps the row, its place and its history; its text is emptied, the history keeps every text it had.
- Members mentioned (projects.mentions) are notified once per comment: when it first mentions them; an edit that
  removes a mention and adds it back tells nobody again. The owner of the threat, control or risk is told of a
  new comment on it unless mentioned in it.
- A deleted comment's words are not shown again: the notifications that quoted it quote it no more (an e-mail
  already sent cannot be called back).

Comments do not change what the risk engines compute, so these writes do not announce a workspace change
(projects.writes.change does); they run in one transaction with the history context naming the member.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Case, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from projects import markdown, mentions
from projects.comment_models import Comment
from projects.models import Control, Membership, Project, Threat, User
from projects.notification_models import Notification, NotificationKind
from projects.notifications import SUBJECT_LIMIT, notify
from projects.roles import Permission
from projects.writes import EditConflict as EditConflict
from projects.writes import save_version, validate
from risks.models import BusinessRisk

type Target = Project | Threat | Control | BusinessRisk

SUBJECT_EXCERPT = 80


@contextmanager
def _recorded(membership: Membership) -> Iterator[None]:
    with (
        transaction.atomic(),
        pghistory.context(user=membership.user_id, organisation=membership.organisation_id),
    ):
        yield


def _target_fields(target: Target) -> dict[str, models.Model]:
    if isinstance(target, Threat):
        return {"project": target.project, "threat": target}
    if isinstance(target, Control):
        return {"project": target.project, "control": target}
    if isinstance(target, BusinessRisk):
        return {"risk": target}
    return {"project": target}


def _organisation_id(target: Target) -> int:
    if isinstance(target, (Threat, Control)):
        return target.project.organisation_id
    return target.organisation_id


def target_name(target: models.Model) -> str:
    """How a sentence names what a comment is on: “T-12”, “R-3”, “the control Rate limiting”."""
    if isinstance(target, (Threat, BusinessRisk)):
        return target.reference
    if isinstance(target, Control):
        return f"the control “{target.title}”"
    return f"the project “{target}”"


def target_url(target: models.Model) -> str:
    """The page of what a comment is on, where its comments are shown."""
    return target_page(target, "detail")


def target_page(target: models.Model, page: str) -> str:
    """The address of one of the pages of what a comment is on: "detail" (its page) or "comments" (its panel)."""
    if isinstance(target, Threat):
        project = target.project
        kind, args = "threat", [project.organisation.slug, project.pk, target.number]
    elif isinstance(target, Control):
        project = target.project
        kind, args = "control", [project.organisation.slug, project.pk, target.pk]
    elif isinstance(target, BusinessRisk):
        kind, args = "risk", [target.organisation.slug, target.number]
    else:
        assert isinstance(target, Project)
        kind, args = "project", [target.organisation.slug, target.pk]
    return reverse(f"{kind}_{page}", args=args)


def comment_url(comment: Comment) -> str:
    return f"{target_url(comment.target)}#comment-{comment.pk}"


def can_edit(membership: Membership, comment: Comment) -> bool:
    return (
        not comment.is_deleted
        and comment.author_id == membership.user_id
        and membership.can(Permission.COMMENT)
    )


def can_delete(membership: Membership, comment: Comment) -> bool:
    return not comment.is_deleted and (
        comment.author_id == membership.user_id or membership.can(Permission.MANAGE_ORGANISATION)
    )


def comment_create(*, membership: Membership, target: Target, body: str) -> Comment:
    if not membership.can(Permission.COMMENT):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot comment.")
    if _organisation_id(target) != membership.organisation_id:
        raise ValidationError({"body": "Comment on something of your own organisation."})
    comment = Comment(
        organisation_id=membership.organisation_id,
        author=membership.user,
        body=body.strip(),
        **_target_fields(target),
    )
    validate(comment)
    with _recorded(membership):
        comment.save()
        told = _tell_mentioned(membership, comment, markdown.handles_in(comment.body))
        _tell_owner(membership, comment, told)
    return comment


def comment_edit(*, membership: Membership, comment: Comment, version: int, body: str) -> Comment:
    """Save the author's new text, from the version they read. Members first mentioned now are notified."""
    if comment.author_id != membership.user_id:
        raise PermissionDenied("Only its author can edit a comment.")
    if not membership.can(Permission.COMMENT):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot comment.")
    if comment.is_deleted:
        raise EditConflict(None)
    before = set(markdown.handles_in(comment.body))
    body = body.strip()
    if body == comment.body:
        if comment.version != version:
            raise EditConflict(Comment.objects.filter(pk=comment.pk).first())
        return comment
    comment.body, comment.edited_at = body, timezone.now()
    validate(comment)
    with _recorded(membership):
        save_version(comment, version, ["body", "edited_at"])
        _tell_mentioned(
            membership, comment, [h for h in markdown.handles_in(body) if h not in before], edited=True
        )
    return comment


def comment_delete(*, membership: Membership, comment: Comment, version: int) -> None:
    """Empty the comment and mark it deleted, from the version the person read; its history keeps its text, and
    the notifications that quoted it lose the quote."""
    if comment.author_id != membership.user_id and not membership.can(Permission.MANAGE_ORGANISATION):
        raise PermissionDenied("Only its author or an owner of the organisation can delete a comment.")
    if comment.is_deleted:
        raise EditConflict(None)
    comment.body, comment.deleted_at, comment.deleted_by = "", timezone.now(), membership.user
    with _recorded(membership):
        save_version(comment, version, ["body", "deleted_at", "deleted_by"])
        _unquote_notifications(comment)


def _subject(membership: Membership, comment: Comment, what: str) -> str:
    return (
        f"{membership.user.display_name} {what} {target_name(comment.target)}: "
        f"“{markdown.excerpt(comment.body, SUBJECT_EXCERPT)}”"
    )


def _tell_mentioned(
    membership: Membership, comment: Comment, handles: list[str], *, edited: bool = False
) -> set[int]:
    """Notify the members the handles name, but not those an edited comment mentioned before; the ids of those
    told."""
    found = mentions.resolve(membership.organisation, handles)
    people = {mentioned.user.pk: mentioned.user for mentioned in found.values()}
    people.pop(membership.user_id, None)
    if edited and people:
        for user_id in _told_of_mention(comment, people):
            del people[user_id]
    if people:
        notify(
            organisation=membership.organisation,
            recipients=people.values(),
            kind=NotificationKind.MENTION,
            actor=membership.user,
            subject=_subject(membership, comment, "mentioned you on"),
            url=comment_url(comment),
            target=comment,
        )
    return set(people)


def _tell_owner(membership: Membership, comment: Comment, told: set[int]) -> None:
    owner: User | None = getattr(comment.target, "owner", None)
    if owner is None or owner.pk in told or owner.pk == membership.user_id:
        return
    notify(
        organisation=membership.organisation,
        recipients=[owner],
        kind=NotificationKind.COMMENT,
        actor=membership.user,
        subject=_subject(membership, comment, "commented on"),
        url=comment_url(comment),
        target=comment,
    )


def _notifications_of(comment: Comment) -> QuerySet[Notification]:
    return Notification.objects.filter(
        organisation_id=comment.organisation_id, target_type=Comment._meta.label_lower, target_id=comment.pk
    )


def _told_of_mention(comment: Comment, user_ids: Iterable[int]) -> set[int]:
    """Those of the people a mention in this comment was told to already (even if since removed), in one query."""
    return set(
        _notifications_of(comment)
        .filter(kind=NotificationKind.MENTION, recipient_id__in=list(user_ids))
        .values_list("recipient_id", flat=True)
    )


def _unquote_notifications(comment: Comment) -> None:
    """The notifications of a deleted comment say what happened without its words, in one query."""
    author = comment.author.display_name if comment.author else "A former member"
    on = target_name(comment.target)
    _notifications_of(comment).update(
        subject=Case(
            When(
                kind=NotificationKind.MENTION,
                then=Value(_deleted_subject(f"{author} mentioned you on {on}")),
            ),
            default=Value(_deleted_subject(f"{author} commented on {on}")),
        )
    )


def _deleted_subject(what: str) -> str:
    subject = f"{what}: the comment was deleted"
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 1] + "…"

"""Reads of comments, for the comments panel (projects.comment_views) and the API (projects.comment_api): a
target's comments in order, the business risk a comment may be on, and the members a page of comments mentions.
Every read starts from a target the member's own lookup found, or from the member's organisation."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.safestring import SafeString

from projects import markdown, mentions
from projects.comment_models import Comment
from projects.mentions import Mentioned
from projects.models import Control, Membership, Organisation, Project, Threat
from risks.models import BusinessRisk


def comments_of(target: models.Model) -> QuerySet[Comment]:
    """The comments on the target, oldest first, with their authors."""
    comments = Comment.objects.select_related("author", "deleted_by")
    if isinstance(target, Threat):
        return comments.filter(threat=target)
    if isinstance(target, Control):
        return comments.filter(control=target)
    if isinstance(target, BusinessRisk):
        return comments.filter(risk=target)
    assert isinstance(target, Project)
    return comments.filter(project=target, threat__isnull=True, control__isnull=True)


def comment_of(membership: Membership, comment_id: int) -> Comment:
    """One comment of the member's organisation, with its target and what the pages name it by; 404 else."""
    comment = (
        Comment.objects.filter(organisation=membership.organisation_id, pk=comment_id)
        .select_related(
            "author",
            "deleted_by",
            "organisation",
            "project__organisation",
            "threat",
            "control",
            "risk__organisation",
        )
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    return comment


def risk_of(membership: Membership, number: int) -> BusinessRisk:
    """The organisation's business risk R-`number`, with what a comment on it reads (its owner); 404 else."""
    risk = (
        BusinessRisk.objects.filter(organisation=membership.organisation_id, number=number)
        .select_related("organisation", "owner")
        .first()
    )
    if risk is None:
        raise Http404("No such business risk.")
    return risk


@dataclass(frozen=True)
class Rendered:
    """A comment's text as safe HTML, its mentions of members linked, and the members it mentions, in order."""

    html: SafeString
    mentions: list[Mentioned]


def rendered(organisation: Organisation, comments: Sequence[Comment]) -> list[Rendered]:
    """Each comment rendered, its @handles resolved among the organisation's members: one query for all."""
    handles = [markdown.handles_in(comment.body) for comment in comments]
    found = mentions.resolve(organisation, {handle for each in handles for handle in each})
    links = {handle: mentioned.url for handle, mentioned in found.items()}
    return [
        Rendered(markdown.render(comment.body, links), [found[handle] for handle in each if handle in found])
        for comment, each in zip(comments, handles, strict=True)
    ]

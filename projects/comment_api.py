"""Comments through the API: the comments on a project, a threat, a control or a business risk, adding one, and
editing or deleting one's own, under /api/v1/organisations/<org_slug>/.

A second adapter over projects.comment_services and projects.comment_selectors, as the comments panel
(projects.comment_views) is, with the protocol of the workspace API (projects.api_workspace): 404 for anyone
outside the organisation, 403 when the role may not comment or the comment is not theirs to change, 400 by field.
Every comment carries its Markdown source and its HTML as the pages show it (sanitised, with the @mentions of
members linked), the members it mentions, and a strong ETag ("comment-5-v2"): an edit or a deletion names it in
If-Match (428 without one; 412 with the comment as it is now when someone changed it since). A deleted comment
keeps its place with its text emptied; its history keeps every text it had.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from projects import comment_selectors as selectors
from projects import comment_services as services
from projects.api import ORG_SLUG, PersonSerializer, answers
from projects.api_access import organisation_membership
from projects.api_workspace import (
    CONTROL_ID,
    ETAG,
    PROJECT_ID,
    THREAT_NUMBER,
    VersionedOutput,
    WorkspaceApiView,
    changes,
    deletes,
    list_etag,
    lists,
    member_project,
    retrieves,
    tagged,
    text,
)
from projects.comment_models import Comment
from projects.models import Control, Membership, Threat
from projects.roles import Permission
from projects.workspace_selectors import control_of, project_of, threat_of
from risks.api_register import RISK_NUMBER
from risks.models import BusinessRisk

TARGETS = [
    ("project", "A project"),
    ("threat", "A threat"),
    ("control", "A control"),
    ("risk", "A business risk"),
]


@extend_schema_serializer(component_name="Mention")
class MentionOutput(serializers.Serializer):
    handle = serializers.CharField(
        help_text="As written after the @, in lower case: alice, or alice@acme.test."
    )
    user = PersonSerializer()


@extend_schema_serializer(component_name="Comment")
class CommentOutput(VersionedOutput):
    id = serializers.IntegerField()
    target = serializers.ChoiceField(choices=TARGETS, source="target_kind", help_text="What it is on.")
    project = serializers.IntegerField(
        source="project_id",
        allow_null=True,
        help_text="The id of the project it is on, or whose threat or control it is on; null on a business risk.",
    )
    threat = serializers.IntegerField(
        source="threat.number", allow_null=True, help_text="On a threat: its number (12 for T-12)."
    )
    control = serializers.IntegerField(
        source="control_id", allow_null=True, help_text="On a control: its id."
    )
    risk = serializers.IntegerField(
        source="risk.number", allow_null=True, help_text="On a business risk: its number (12 for R-12)."
    )
    author = PersonSerializer(allow_null=True, help_text="null once its author has left.")
    body = serializers.CharField(help_text="The Markdown source; blank once deleted.")
    html = serializers.CharField(
        source="shown.html",
        help_text="The body as the pages show it: a safe subset of HTML (sanitised), with the @mentions of "
        "members linked to their activity.",
    )
    mentions = MentionOutput(
        many=True, source="shown.mentions", help_text="The members its @handles name, in order."
    )
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted")
    deleted_at = serializers.DateTimeField(allow_null=True)
    deleted_by = PersonSerializer(allow_null=True)
    can_edit = serializers.BooleanField(source="may_edit", help_text="You may edit it: it is yours.")
    can_delete = serializers.BooleanField(
        source="may_delete", help_text="You may delete it: it is yours, or you are an owner."
    )


@extend_schema_serializer(component_name="CommentWrite")
class CommentInput(serializers.Serializer):
    body = text(
        Comment,
        "body",
        required=True,
        error_messages={"blank": "Write something first."},
        help_text="Markdown: **bold**, *italic*, `code`, lists, > quotes and links. Mention a member with @ and "
        "the start of their e-mail address (@alice); they are notified.",
    )


def _kind(comment: Comment) -> str:
    if comment.threat_id is not None:
        return "threat"
    if comment.control_id is not None:
        return "control"
    return "risk" if comment.risk_id is not None else "project"


def with_shown(membership: Membership, comments: Sequence[Comment]) -> Sequence[Comment]:
    """Give each comment what the API shows beside its fields: its rendering, what it is on and what the member
    may do to it, in one query for all of them (the members they mention)."""
    for comment, shown in zip(comments, selectors.rendered(membership.organisation, comments), strict=True):
        setattr(comment, "shown", shown)  # noqa: B010
        setattr(comment, "target_kind", _kind(comment))  # noqa: B010
        setattr(comment, "may_edit", services.can_edit(membership, comment))  # noqa: B010
        setattr(comment, "may_delete", services.can_delete(membership, comment))  # noqa: B010
    return comments


def _comment(membership: Membership, comment_id: int) -> Comment:
    (comment,) = with_shown(membership, [selectors.comment_of(membership, comment_id)])
    return comment


COMMENT_ID = OpenApiParameter(
    "comment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The comment's id."
)


class CommentsApiView(WorkspaceApiView):
    OutputSerializer = CommentOutput

    def comments(self, request: Request, membership: Membership, target: models.Model) -> Response:
        """A page of the target's comments, oldest first, with its weak ETag (304 while it holds)."""
        paginator = self.pagination_class()
        rows = selectors.comments_of(target).select_related("threat", "risk")
        page = paginator.paginate_queryset(rows, request, view=self) or []
        data = paginator.get_paginated_response(
            CommentOutput(with_shown(membership, page), many=True).data
        ).data
        return tagged(request, data, list_etag(request, data))

    def add(self, request: Request, membership: Membership, target: models.Model) -> Response:
        fields = self.valid(request, CommentInput)
        comment = services.comment_create(membership=membership, target=target, **fields)  # type: ignore[arg-type]
        return self.show(request, _comment(membership, comment.pk), status.HTTP_201_CREATED)


def _commenter(request: Request, org_slug: str) -> Membership:
    """The member, 403 unless their role may comment."""
    return organisation_membership(request, org_slug, Permission.COMMENT)


def _threat(membership: Membership, project_id: int, threat_number: int) -> Threat:
    return threat_of(project_of(membership, project_id), threat_number)


def _control(membership: Membership, project_id: int, control_id: int) -> Control:
    return control_of(project_of(membership, project_id), control_id)


def _risk(membership: Membership, risk_number: int) -> BusinessRisk:
    return selectors.risk_of(membership, risk_number)


def adds(operation: str, what: str) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=f"Comment on {what} (engineers, security leads and owners)",
        description="The owner of what it is on and the members it mentions are told.",
        request=CommentInput,
        parameters=[ETAG],
        responses=answers({201: CommentOutput}, 400, 403, 404),
    )


@extend_schema(tags=["comments"], parameters=[ORG_SLUG, PROJECT_ID])
class ProjectCommentListApi(CommentsApiView):
    @lists("project_comment_list", "The comments on a project, oldest first", CommentOutput)
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = member_project(request, org_slug, project_id)
        return self.comments(request, membership, project)

    @adds("project_comment_create", "a project")
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership = _commenter(request, org_slug)
        return self.add(request, membership, project_of(membership, project_id))


@extend_schema(tags=["comments"], parameters=[ORG_SLUG, PROJECT_ID, THREAT_NUMBER])
class ThreatCommentListApi(CommentsApiView):
    @lists("threat_comment_list", "The comments on a threat, oldest first", CommentOutput)
    def get(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.comments(request, membership, _threat(membership, project_id, threat_number))

    @adds("threat_comment_create", "a threat")
    def post(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        membership = _commenter(request, org_slug)
        return self.add(request, membership, _threat(membership, project_id, threat_number))


@extend_schema(tags=["comments"], parameters=[ORG_SLUG, PROJECT_ID, CONTROL_ID])
class ControlCommentListApi(CommentsApiView):
    @lists("control_comment_list", "The comments on a control, oldest first", CommentOutput)
    def get(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.comments(request, membership, _control(membership, project_id, control_id))

    @adds("control_comment_create", "a control")
    def post(self, request: Request, org_slug: str, project_id: int, control_id: int) -> Response:
        membership = _commenter(request, org_slug)
        return self.add(request, membership, _control(membership, project_id, control_id))


@extend_schema(tags=["comments"], parameters=[ORG_SLUG, RISK_NUMBER])
class RiskCommentListApi(CommentsApiView):
    @lists("risk_comment_list", "The comments on a business risk, oldest first", CommentOutput)
    def get(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.comments(request, membership, _risk(membership, risk_number))

    @adds("risk_comment_create", "a business risk")
    def post(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = _commenter(request, org_slug)
        return self.add(request, membership, _risk(membership, risk_number))


@extend_schema(tags=["comments"], parameters=[ORG_SLUG, COMMENT_ID])
class CommentDetailApi(CommentsApiView):
    @retrieves("comment_retrieve", "A comment", CommentOutput)
    def get(self, request: Request, org_slug: str, comment_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.show(request, _comment(membership, comment_id))

    @changes(
        "comment_update",
        "Edit your comment",
        CommentInput,
        CommentOutput,
        "Only its author edits a comment, and not once it is deleted. Its history keeps the text it had; "
        "members it mentions for the first time are told.",
    )
    def patch(self, request: Request, org_slug: str, comment_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        comment = selectors.comment_of(membership, comment_id)
        if not services.can_edit(membership, comment):
            raise PermissionDenied("Only its author can edit a comment, and not once it is deleted.")
        body = self.valid(request, CommentInput).get("body", comment.body)
        self.guarded(
            request,
            comment,
            lambda: _comment(membership, comment_id),
            lambda version: services.comment_edit(
                membership=membership, comment=comment, version=version, body=body
            ),
        )
        return self.show(request, _comment(membership, comment_id))

    @deletes(
        "comment_delete",
        "Delete a comment (its author, or an owner): its text is emptied, its place and history kept",
        CommentOutput,
    )
    def delete(self, request: Request, org_slug: str, comment_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        comment = selectors.comment_of(membership, comment_id)
        if comment.is_deleted:
            raise exceptions.NotFound("This comment is deleted already.")
        if not services.can_delete(membership, comment):
            raise PermissionDenied("Only its author or an owner of the organisation can delete a comment.")
        self.guarded(
            request,
            comment,
            lambda: _comment(membership, comment_id),
            lambda version: services.comment_delete(membership=membership, comment=comment, version=version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

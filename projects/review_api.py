"""Reviews through the API, under /api/v1/organisations/<org_slug>/: the organisation's review queue (threats in
review and models waiting for sign-off, by team or project), decisions on threats one at a time or many at once,
and a project's model review: where it stands, submitting it, approving it or asking for changes, withdrawing
it, its past reviews, and what changed since its approval.

A second adapter over projects.review_services and projects.review_selectors, as the review pages
(projects.review_views) are, with the protocol of the workspace API (projects.api_workspace): 404 for anyone
outside the organisation, 403 when the role does not allow it (security leads and owners decide; whoever may edit
the project submits and withdraws it; nobody approves a model they submitted), 400 by field. A decision on threats names the
version read of each threat: when any has moved on, nothing is decided and the answer is 412, naming them. An
approval names the digest of the model the approver looked at: when the model changed since, the answer is 412
with the review as it stands now.
"""

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from projects import review_selectors as selectors
from projects import review_services as services
from projects.api import LARGEST_ID, ORG_SLUG, PersonSerializer, TeamSummarySerializer, answers, max_length
from projects.api_access import organisation_membership
from projects.api_workspace import (
    IF_NONE_MATCH,
    LARGEST_NUMBER,
    LIST_ETAG,
    NOT_MODIFIED,
    PROJECT_ID,
    THREAT_NUMBER,
    BulkPreconditionFailed,
    PreconditionFailed,
    WorkspaceApiView,
    bulk_conflict,
    conflict,
    editable_project,
    etag,
    list_etag,
    lists,
    member_project,
    one,
    query_parameter,
    tagged,
    version_field,
)
from projects.models import Membership, Project, ProjectStatus, Threat, ThreatStatus
from projects.review_content import KINDS, ModelDiff
from projects.review_models import (
    VERDICT_CHOICES,
    ModelReview,
    ReviewDecision,
    ThreatReview,
    ThreatReviewDecision,
)
from projects.roles import Permission
from projects.workspace_selectors import EstateScope, Seen, project_of
from projects.workspace_services import MAX_BULK_ITEMS, StaleObjects, can_edit_project

# Output ---------------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ProjectSummary")
class ProjectSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = TeamSummarySerializer()


@extend_schema_serializer(component_name="ThreatReviewRecord")
class ThreatDecisionOutput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ThreatReviewDecision.choices)
    comment = serializers.CharField(help_text="The reason for a rejection, or what should change.")
    status_before = serializers.ChoiceField(choices=ThreatStatus.choices)
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ThreatInReview")
class QueuedThreatOutput(serializers.Serializer):
    project = ProjectSummaryOutput()
    number = serializers.IntegerField()
    reference = serializers.CharField(help_text="The short id people use, e.g. T-12.")
    statement = serializers.CharField(help_text="The threat statement as one sentence.")
    stride = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=ThreatStatus.choices)
    status_reason = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    created_by = PersonSerializer(allow_null=True)
    decisions = ThreatDecisionOutput(
        many=True, source="past_decisions", help_text="The review decisions on it, latest first."
    )
    version = serializers.IntegerField(help_text="Send it back with a decision.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ModelReview")
class ModelReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    submitted_by = PersonSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField()
    note = serializers.CharField(help_text="The submitter's note for the reviewer.")
    status_before = serializers.ChoiceField(
        choices=ProjectStatus.choices,
        help_text="The project's status before, which a request for changes restores (draft for one that was "
        "in review with no model waiting).",
    )
    decision = serializers.ChoiceField(
        choices=ReviewDecision.choices,
        allow_blank=True,
        help_text="Blank while it waits for a decision; withdrawn when taken back undecided (`decided_by` "
        "withdrew it).",
    )
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(
        help_text="The reviewer's comment: what should change, when sent back; the note of a withdrawal."
    )
    digest = serializers.CharField(
        help_text="sha256 of the model's content as submitted, or once approved as approved."
    )


@extend_schema_serializer(component_name="ModelWaiting")
class ModelWaitingOutput(ModelReviewOutput):
    project = ProjectSummaryOutput()


@extend_schema_serializer(component_name="ModelReviewState")
class ReviewStateOutput(serializers.Serializer):
    project = serializers.IntegerField(help_text="The project's id.")
    status = serializers.ChoiceField(choices=ProjectStatus.choices, help_text="The project's status.")
    last_reviewed_on = serializers.DateField(
        allow_null=True, help_text="The day of its latest approval, which only an approval sets."
    )
    digest = serializers.CharField(
        help_text="sha256 of the model's content now: send it with an approval, so that only what you read is "
        "approved."
    )
    waiting = ModelReviewOutput(allow_null=True, help_text="The submission waiting for a decision, if any.")
    approval = ModelReviewOutput(allow_null=True, help_text="The latest approval, if any.")
    changed_since_approval = serializers.BooleanField(
        help_text="The model's content moved on from what was approved."
    )
    changed_since_submission = serializers.BooleanField(
        help_text="The model's content moved on from what was submitted for the review waiting."
    )
    may_submit = serializers.BooleanField(help_text="You may submit it for review now.")
    may_withdraw = serializers.BooleanField(
        help_text="A submission waits and you may edit the project: you may withdraw it, undecided."
    )
    may_decide = serializers.BooleanField(
        help_text="A submission waits and your role decides reviews (security leads and owners): you may ask "
        "for changes."
    )
    may_approve = serializers.BooleanField(
        help_text="You may approve the submission waiting: you decide reviews, did not submit it and have not "
        "changed the model's content since it was submitted (its threats' statuses aside)."
    )
    approval_refused = serializers.CharField(
        help_text="Why you may not approve the submission waiting, e.g. “You submitted this model, so someone "
        "else signs it off.”; empty when you may, or when nothing waits."
    )


@extend_schema_serializer(component_name="ModelFieldChange")
class FieldChangeOutput(serializers.Serializer):
    name = serializers.CharField(help_text="As the forms name the field, e.g. “Threat source”.")
    before = serializers.CharField(help_text="As it read; blank for a part added.")
    after = serializers.CharField(help_text="As it reads now; blank for a part removed.")


@extend_schema_serializer(component_name="ModelPartChange")
class PartChangeOutput(serializers.Serializer):
    part = serializers.ChoiceField(
        choices=[(kind, noun) for kind, noun in KINDS.items()], source="kind", help_text="The kind of part."
    )
    noun = serializers.CharField(help_text="The kind of part in words: “trust zone”, “data flow”, ...")
    change = serializers.ChoiceField(
        choices=[("added", "Added"), ("removed", "Removed"), ("edited", "Edited")]
    )
    # Named as in the diff; `label` clashes, for mypy only, with the base Field's attribute.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The part's name (now; as it was, for a part removed)."
    )
    key = serializers.IntegerField(
        allow_null=True,
        help_text="The part as it is now: its id (a threat: its number); null for a part removed and the project.",
    )
    # Named as in the diff. DRF's metaclass takes declared fields off the class; mypy only sees the name clash.
    fields = FieldChangeOutput(  # type: ignore[assignment]
        many=True, help_text="The fields that changed, each before and after."
    )


@extend_schema_serializer(component_name="ModelChanges")
class ChangesOutput(serializers.Serializer):
    since = serializers.ChoiceField(choices=[("approval", "Approval"), ("submission", "Submission")])
    review = ModelReviewOutput(
        allow_null=True,
        help_text="The approval (or submission) compared with; null when there is none, and nothing to compare.",
    )
    summary = serializers.CharField(help_text="“2 added, 1 removed, 3 edited”; blank when nothing changed.")
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    edited = serializers.IntegerField()
    changes = PartChangeOutput(many=True, help_text="Kind by kind: project, zones, assets, ..., controls.")


# Input ----------------------------------------------------------------------------------------------------

COMMENT_HELP = "The reason (required to reject), or what should change (required to ask for changes)."


def _comment(length: int, help_text: str) -> serializers.CharField:
    return serializers.CharField(max_length=length, allow_blank=True, default="", help_text=help_text)


@extend_schema_serializer(component_name="ThreatReviewSeen")
class ThreatSeenInput(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=LARGEST_ID, help_text="The project's id.")
    number = serializers.IntegerField(
        min_value=1, max_value=LARGEST_NUMBER, help_text="The threat's number in its project: 12 for T-12."
    )
    version = version_field()


@extend_schema_serializer(component_name="ThreatReviewDecisions")
class ThreatDecisionsInput(serializers.Serializer):
    threats = serializers.ListField(
        child=ThreatSeenInput(),
        min_length=1,
        max_length=MAX_BULK_ITEMS,
        help_text=f"The threats to decide (at most {MAX_BULK_ITEMS}, of any projects of the organisation), each "
        "with the version you read: if any has moved on, nothing is decided (412).",
    )
    decision = serializers.ChoiceField(choices=ThreatReviewDecision.choices)
    comment = _comment(max_length(ThreatReview, "comment"), COMMENT_HELP)

    def validate_threats(self, items: list[dict[str, int]]) -> list[Seen[Threat]]:
        versions: dict[tuple[int, int], int] = {}
        for item in items:
            versions.setdefault((item["project"], item["number"]), item["version"])
        seen, missing = selectors.seen_threats(self.context["membership"], versions)
        if missing:
            named = ", ".join(f"T-{number} in project {project}" for project, number in missing)
            raise serializers.ValidationError(f"This organisation has no threat {named}.")
        return seen


@extend_schema_serializer(component_name="ThreatReviewDecision")
class ThreatDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ThreatReviewDecision.choices)
    comment = _comment(max_length(ThreatReview, "comment"), COMMENT_HELP)
    version = version_field()


@extend_schema_serializer(component_name="ModelReviewSubmission")
class SubmissionInput(serializers.Serializer):
    note = _comment(max_length(ModelReview, "note"), "Optional: what changed, or what to look at first.")


@extend_schema_serializer(component_name="ModelReviewWithdrawal")
class WithdrawalInput(serializers.Serializer):
    note = _comment(
        max_length(ModelReview, "comment"),
        "Optional: why, told to the security leads and kept as the comment.",
    )


@extend_schema_serializer(component_name="ModelReviewDecision")
class ModelDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=VERDICT_CHOICES)
    comment = _comment(
        max_length(ModelReview, "comment"), "Required to ask for changes: say what should change."
    )
    digest = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        default=None,
        allow_null=True,
        help_text="Required to approve: the `digest` of the review you read, so that a model changed since is "
        "not approved unseen (412).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["decision"] == ReviewDecision.APPROVED and not attrs["digest"]:
            raise serializers.ValidationError(
                {"digest": "Send the digest of the model you reviewed (the review's `digest`) to approve it."}
            )
        return attrs


# Answers --------------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ThreatReviewsDecided")
class DecidedOutput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ThreatReviewDecision.choices)
    summary = serializers.CharField(help_text="What was decided, in words.")
    threats = QueuedThreatOutput(many=True, help_text="The threats decided, as they are now.")


class ReviewPreconditionFailed(BulkPreconditionFailed):
    """Threats of a decision that moved on: `stale` names each by project and number, with its version now."""

    def __init__(self, error: StaleObjects) -> None:
        super().__init__(error, "number")
        self.stale = [
            {"project": threat.project_id, "number": threat.number, "version": threat.version}
            for threat in error.stale
        ]


@extend_schema_serializer(component_name="ThreatReviewStale")
class StaleOutput(serializers.Serializer):
    project = serializers.IntegerField()
    number = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True, help_text="Its version now; null once deleted.")


class ModelChangedSince(PreconditionFailed):
    default_detail = "The model changed since you read its review: look at the changes and the new digest, and decide again."


def _general(error: ValidationError, *fields: str) -> serializers.ValidationError:
    """A service's errors, those about what the request has no field for (the project, or the threat named in
    the URL) as the answer's message."""
    found = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    detail: dict[str, list[str]] = {}
    for key, messages in found.items():
        detail.setdefault(key if key in fields else "non_field_errors", []).extend(messages)
    return serializers.ValidationError(detail)


def _decided(membership: Membership, threats: list[Threat]) -> list[Threat]:
    return list(selectors.threats_reviewed(membership, [threat.pk for threat in threats]))


def _queued_threat(membership: Membership, project_id: int, number: int) -> Threat:
    return one(selectors.decidable_threats(membership), "threat", project_id=project_id, number=number)


def _state(membership: Membership, project: Project) -> Any:
    """Where the project's model stands, and what the member may do about it."""
    state = selectors.review_state(project)
    waiting = state.open_review
    may_decide = services.may_decide(membership) and waiting is not None
    may_edit = can_edit_project(membership, project)
    refused = services.approval_refused(membership, waiting, state.snapshot) if waiting is not None else ""
    state_data = {
        "project": project.pk,
        "status": project.status,
        "last_reviewed_on": project.last_reviewed_on,
        "digest": state.digest,
        "waiting": waiting,
        "approval": state.approval,
        "changed_since_approval": state.changed_since_approval,
        "changed_since_submission": state.changed_since_submission,
        "may_submit": waiting is None and project.status != ProjectStatus.ARCHIVED and may_edit,
        "may_withdraw": waiting is not None and may_edit,
        "may_decide": may_decide,
        "may_approve": may_decide and not refused,
        "approval_refused": refused,
    }
    return ReviewStateOutput(state_data).data


def state_etag(data: Any) -> str:
    """A weak tag of the review state as sent: the digest moves with any change to the model, and the rest with
    any review."""
    content = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True)
    return f'W/"review-{hashlib.sha256(content.encode()).hexdigest()[:32]}"'


def _changes(since: str, changes: selectors.Changes | None) -> Any:
    diff = changes.diff if changes is not None else ModelDiff()
    found = {
        "since": since,
        "review": changes.review if changes is not None else None,
        "summary": diff.summary,
        "added": diff.count("added"),
        "removed": diff.count("removed"),
        "edited": diff.count("edited"),
        "changes": diff.changes,
    }
    return ChangesOutput(found).data


# Documentation --------------------------------------------------------------------------------------------

QUEUE_FILTERS = [
    query_parameter("team", "Only those of this team's projects (its slug)."),
    OpenApiParameter("project", OpenApiTypes.INT, description="Only those of this project (its id)."),
]
SINCE = query_parameter(
    "since",
    '"approval" (the default): the changes since the latest approval; "submission": since the submission '
    "waiting for review.",
    ["approval", "submission"],
)
STATE_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 412],
    description="A weak tag of the review as sent: send it in If-None-Match to be answered 304 while it holds.",
)
ONE_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 412],
    description='The threat\'s version, e.g. "threat-41-v3".',
)


# The review queue -----------------------------------------------------------------------------------------


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG])
class ReviewQueueApi(WorkspaceApiView):
    @lists(
        "review_threat_list",
        "Threats in review across the organisation, those waiting longest first",
        QueuedThreatOutput,
        QUEUE_FILTERS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        scope = EstateScope.from_query(request.query_params)
        return self.paginated(request, selectors.threats_in_review(membership, scope), QueuedThreatOutput)


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG])
class ModelsWaitingApi(WorkspaceApiView):
    @lists(
        "review_model_list",
        "Models waiting for review across the organisation, those waiting longest first",
        ModelWaitingOutput,
        QUEUE_FILTERS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        scope = EstateScope.from_query(request.query_params)
        return self.paginated(request, selectors.models_waiting(membership, scope), ModelWaitingOutput)


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG])
class ThreatDecisionsApi(WorkspaceApiView):
    @extend_schema(
        operation_id="review_threats_decide",
        summary="Confirm, reject or send back several threats (security leads and owners)",
        description="Only identified threats and threats in review are decided. Every threat named is decided, "
        "or none is: when any has moved on from the version given, the answer is 412, naming each such threat. "
        "Each decision is recorded and told to the threats' creators and owners.",
        request=ThreatDecisionsInput,
        responses=answers(
            {200: DecidedOutput, 412: bulk_conflict(StaleOutput, "ThreatReview")}, 400, 403, 404
        ),
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DECIDE_THREAT_REVIEW)
        fields = self.valid(request, ThreatDecisionsInput, membership=membership)
        try:
            decided = services.threats_review(membership=membership, seen=fields.pop("threats"), **fields)
        except StaleObjects as error:
            raise ReviewPreconditionFailed(error) from None
        answer = {"decision": decided.decision, "summary": decided.summary}
        return Response(DecidedOutput({**answer, "threats": _decided(membership, decided.threats)}).data)


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID, THREAT_NUMBER])
class ThreatDecisionApi(WorkspaceApiView):
    @extend_schema(
        operation_id="review_threat_decide",
        summary="Confirm, reject or send back a threat (security leads and owners)",
        description="Only an identified threat or a threat in review is decided, from the version you read (412 "
        "with the threat as it is now when it has moved on). The decision is recorded and told to the threat's "
        "creator and owner.",
        request=ThreatDecisionInput,
        parameters=[ONE_ETAG],
        responses=answers(
            {200: QueuedThreatOutput, 412: conflict(QueuedThreatOutput, "ThreatInReview")}, 400, 403, 404
        ),
    )
    def post(self, request: Request, org_slug: str, project_id: int, threat_number: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DECIDE_THREAT_REVIEW)
        threat = _queued_threat(membership, project_id, threat_number)
        fields = self.valid(request, ThreatDecisionInput)
        try:
            services.threat_review(membership=membership, threat=threat, **fields)
        except StaleObjects:
            (now,) = _decided(membership, [threat])
            raise PreconditionFailed(QueuedThreatOutput(now).data, etag(now)) from None
        except ValidationError as error:
            raise _general(error, "decision", "comment") from None
        (now,) = _decided(membership, [threat])
        return Response(QueuedThreatOutput(now).data, headers={"ETag": etag(now)})


# A project's model review ---------------------------------------------------------------------------------


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewApi(WorkspaceApiView):
    @extend_schema(
        operation_id="model_review_retrieve",
        summary="Where the project's model stands: waiting for review, approved by whom and when, changed since",
        parameters=[IF_NONE_MATCH, STATE_ETAG],
        responses=answers({200: ReviewStateOutput, 304: NOT_MODIFIED}, 404),
    )
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = member_project(request, org_slug, project_id)
        data = _state(membership, project)
        return tagged(request, data, state_etag(data))


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewSubmissionApi(WorkspaceApiView):
    @extend_schema(
        operation_id="model_review_submit",
        summary="Submit the project's model for review (whoever may edit the project)",
        description="Its content is recorded with its digest, the project goes into review and the members who "
        "decide reviews are told. One submission waits at a time; an archived project is not reviewed.",
        request=SubmissionInput,
        parameters=[STATE_ETAG],
        responses=answers({201: ReviewStateOutput}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, SubmissionInput)
        try:
            services.model_review_submit(membership=membership, project=project, **fields)
        except ValidationError as error:
            raise _general(error, "note") from None
        data = _state(membership, project)
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": state_etag(data)})


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewDecisionApi(WorkspaceApiView):
    @extend_schema(
        operation_id="model_review_decide",
        summary="Approve the model waiting for review, or send it back (security leads and owners)",
        description="Nobody approves a model they submitted (403); they may send it back. An approval records "
        "the model's content as approved, and is refused (412, with the review as it stands now) when the model "
        "changed since the digest given; the project becomes active, reviewed today. Sent back, with what should "
        "change, it returns to the status it had before. The submitter is told.",
        request=ModelDecisionInput,
        parameters=[STATE_ETAG],
        responses=answers(
            {200: ReviewStateOutput, 412: conflict(ReviewStateOutput, "ModelReviewState")}, 400, 403, 404
        ),
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.DECIDE_THREAT_REVIEW)
        project = project_of(membership, project_id)
        fields = self.valid(request, ModelDecisionInput)
        try:
            services.model_review_decide(membership=membership, project=project, **fields)
        except services.ModelChanged:
            data = _state(membership, project)
            raise ModelChangedSince(data, state_etag(data)) from None
        except ValidationError as error:
            raise _general(error, "decision", "comment", "digest") from None
        data = _state(membership, project)
        return Response(data, headers={"ETag": state_etag(data)})


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewWithdrawalApi(WorkspaceApiView):
    @extend_schema(
        operation_id="model_review_withdraw",
        summary="Withdraw the model waiting for review, undecided (whoever may edit the project)",
        description="The review is closed as withdrawn, with the note as its comment; the project returns to the "
        "status it had before its submission, as when sent back, and the members who decide reviews are told. "
        "With nothing waiting, the answer is 400 and says so.",
        request=WithdrawalInput,
        parameters=[STATE_ETAG],
        responses=answers({200: ReviewStateOutput}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str, project_id: int) -> Response:
        membership, project = editable_project(request, org_slug, project_id)
        fields = self.valid(request, WithdrawalInput)
        try:
            services.model_review_withdraw(membership=membership, project=project, **fields)
        except ValidationError as error:
            raise _general(error, "note") from None
        data = _state(membership, project)
        return Response(data, headers={"ETag": state_etag(data)})


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewChangesApi(WorkspaceApiView):
    @extend_schema(
        operation_id="model_review_changes",
        summary="What changed in the model since its approval (or its submission), part by part, field by field",
        description="The same comparison as the Review tab's changes page: zones, assets, components, data flows, "
        "threats and controls added, removed and edited. With nothing to compare with (never approved, or "
        "nothing waiting), `review` is null and `changes` empty.",
        parameters=[SINCE, IF_NONE_MATCH, LIST_ETAG],
        responses=answers({200: ChangesOutput, 304: NOT_MODIFIED}, 404),
    )
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        since = "submission" if request.query_params.get("since") == "submission" else "approval"
        data = _changes(since, selectors.changes_since(project, since))
        return tagged(request, data, list_etag(request, data))


@extend_schema(tags=["reviews"], parameters=[ORG_SLUG, PROJECT_ID])
class ModelReviewListApi(WorkspaceApiView):
    @lists(
        "model_review_list",
        "The project's reviews, newest first: each submission and its decision",
        ModelReviewOutput,
    )
    def get(self, request: Request, org_slug: str, project_id: int) -> Response:
        _, project = member_project(request, org_slug, project_id)
        return self.paginated(request, selectors.reviews_of(project), ModelReviewOutput)

"""The REST API: a second adapter over the selectors and services that the HTML views use.

Each handler resolves the organisation from the user (404 for non-members), checks the role table (403),
lets a small serializer validate the input, calls the service, and shapes the answer. Lists come in pages.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.api_access import organisation_membership, request_user
from projects.models import TOKEN_PREFIX, ApiToken, Invitation, Membership, Organisation, Team
from projects.one_line import validate_one_line
from projects.roles import ROLE_PERMISSIONS, Permission, Role


def max_length(model: type[Model], field: str) -> int:
    """The column's limit, so the API refuses what the database would (a 400, not a 500)."""
    length = getattr(model._meta.get_field(field), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{field} has no max_length")
    return length


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
TEAM_SLUG_LENGTH = max_length(Team, "slug")
LARGEST_ID = 2**63 - 1  # PostgreSQL's bigint

ORG_SLUG = OpenApiParameter(
    "org_slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=SLUG_PATTERN,
    description="The organisation's slug.",
)
TEAM_SLUG = OpenApiParameter(
    "team_slug", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=SLUG_PATTERN, description="The team's slug."
)
MEMBERSHIP_ID = OpenApiParameter(
    "membership_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The membership's id."
)
INVITATION_ID = OpenApiParameter(
    "invitation_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pending invitation's id."
)
TOKEN_ID = OpenApiParameter(
    "token_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The token's id."
)


@extend_schema_serializer(component_name="ErrorBody")
class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, not_found, permission_denied, not_authenticated, ...")
    message = serializers.CharField()
    # Named as in the error body. DRF's metaclass takes declared fields off the class, so Serializer.fields
    # keeps working; mypy only sees the name clash.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="For invalid input: each field's messages (for lists, keyed by the item's position).",
    )


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The one shape of every error answer; see projects.api_errors."""

    error = ErrorBodySerializer()


def answers(success: dict[int, Any], *errors: int) -> dict[int, Any]:
    """The success answers of an operation, plus its error answers (401 is possible everywhere)."""
    return {**success, **dict.fromkeys(sorted({401, *errors}), ErrorSerializer)}


# JSON only (no form bodies): a team named by id is then a JSON number and by slug a string, never ambiguous.
# The base holds no docstring, as drf-spectacular would repeat it in every operation's description.
class JsonApiView(APIView):
    parser_classes = [JSONParser]
    # Read by the list handlers and by drf-spectacular, which documents the page envelope from it.
    pagination_class = PageNumberPagination

    def paginated(
        self,
        request: Request,
        queryset: QuerySet[Any] | Sequence[Any],
        serializer_class: type[serializers.Serializer],
    ) -> Response:
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(rows, many=True).data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "pattern": SLUG_PATTERN, "maxLength": TEAM_SLUG_LENGTH},
        ]
    }
)
class TeamReferenceField(serializers.Field):
    """A team named by its id (a JSON number) or by its slug (a JSON string)."""

    default_error_messages = {"invalid": "Name a team by its id (a number) or its slug (text)."}

    def to_internal_value(self, data: object) -> int | str:
        if isinstance(data, int) and not isinstance(data, bool) and 0 < data <= LARGEST_ID:
            return data
        if isinstance(data, str) and len(data) <= TEAM_SLUG_LENGTH and re.fullmatch(SLUG_PATTERN, data):
            return data
        self.fail("invalid")

    def to_representation(self, value: int | str) -> int | str:
        return value


class TeamsField(serializers.ListField):
    """Teams of the organisation in the serializer's context. A team of any other organisation is an error."""

    child = TeamReferenceField()

    def to_internal_value(self, data: Any) -> list[Team]:
        references = super().to_internal_value(data)
        ids = [ref for ref in references if isinstance(ref, int)]
        slugs = [ref for ref in references if isinstance(ref, str)]
        teams = list(selectors.teams_named(self.context["organisation"], ids=ids, slugs=slugs))
        known = {team.pk for team in teams} | {team.slug for team in teams}
        unknown = [str(ref) for ref in references if ref not in known]
        if unknown:
            raise serializers.ValidationError(f"This organisation has no team {', '.join(unknown)}.")
        return teams


@extend_schema_serializer(component_name="Person")
class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="TeamSummary")
class TeamSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


@extend_schema(tags=["organisations"])
class OrganisationListApi(JsonApiView):
    @extend_schema_serializer(component_name="Organisation")
    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField(source="organisation.slug")
        name = serializers.CharField(source="organisation.name")
        role = serializers.ChoiceField(choices=Role.choices, help_text="Your role in this organisation.")
        permissions = serializers.SerializerMethodField(help_text="What your role allows here.")

        def get_permissions(self, membership: Membership) -> list[Permission]:
            return sorted(ROLE_PERMISSIONS.get(membership.role, ()))

    @extend_schema(
        operation_id="organisation_list",
        summary="The organisations you belong to",
        responses=answers({200: OutputSerializer(many=True)}),
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, selectors.memberships_of(request_user(request)), self.OutputSerializer)


@extend_schema(tags=["account"])
class MeApi(JsonApiView):
    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        name = serializers.CharField()
        organisations = OrganisationListApi.OutputSerializer(many=True)

    @extend_schema(
        operation_id="me_retrieve", summary="The signed-in user", responses=answers({200: OutputSerializer})
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        me = {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "organisations": selectors.memberships_of(user),
        }
        return Response(self.OutputSerializer(me).data)


@extend_schema(tags=["organisations"], parameters=[ORG_SLUG])
class OrganisationDetailApi(JsonApiView):
    OutputSerializer = OrganisationListApi.OutputSerializer

    @extend_schema_serializer(component_name="OrganisationUpdate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=max_length(Organisation, "name"),
            validators=[validate_one_line],
            help_text="On one line: no line breaks, tabs or other control characters.",
        )

    @extend_schema(
        operation_id="organisation_retrieve",
        summary="An organisation",
        responses=answers({200: OutputSerializer}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return Response(self.OutputSerializer(organisation_membership(request, org_slug)).data)

    @extend_schema(
        operation_id="organisation_update",
        summary="Rename an organisation",
        request=InputSerializer,
        responses=answers({200: OutputSerializer}, 400, 403, 404),
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.MANAGE_ORGANISATION)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            services.organisation_rename(
                organisation=membership.organisation, name=serializer.validated_data["name"]
            )
        return Response(self.OutputSerializer(membership).data)


@extend_schema(tags=["teams"], parameters=[ORG_SLUG])
class TeamListApi(JsonApiView):
    @extend_schema_serializer(component_name="TeamCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=max_length(Team, "name"))

    @extend_schema_serializer(component_name="Team")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.SlugField()
        name = serializers.CharField()
        member_count = serializers.IntegerField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="team_list",
        summary="The organisation's teams",
        responses=answers({200: OutputSerializer(many=True)}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.paginated(request, selectors.teams_of(membership.organisation), self.OutputSerializer)

    @extend_schema(
        operation_id="team_create",
        summary="Create a team",
        request=InputSerializer,
        responses=answers({201: OutputSerializer}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.MANAGE_TEAMS)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_create(organisation=membership.organisation, **serializer.validated_data)
        team = selectors.team_of(membership.organisation, team.slug)
        return Response(self.OutputSerializer(team).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["teams"], parameters=[ORG_SLUG, TEAM_SLUG])
class TeamDetailApi(JsonApiView):
    OutputSerializer = TeamListApi.OutputSerializer

    @extend_schema_serializer(component_name="TeamUpdate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=max_length(Team, "name"))

    @extend_schema(
        operation_id="team_retrieve", summary="A team", responses=answers({200: OutputSerializer}, 404)
    )
    def get(self, request: Request, org_slug: str, team_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        return Response(self.OutputSerializer(selectors.team_of(membership.organisation, team_slug)).data)

    @extend_schema(
        operation_id="team_update",
        summary="Rename a team (its slug stays)",
        request=InputSerializer,
        responses=answers({200: OutputSerializer}, 400, 403, 404),
    )
    def patch(self, request: Request, org_slug: str, team_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.MANAGE_TEAMS)
        team = selectors.team_of(membership.organisation, team_slug)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            services.team_rename(team=team, name=serializer.validated_data["name"])
        return Response(self.OutputSerializer(team).data)

    @extend_schema(
        operation_id="team_delete", summary="Delete a team", responses=answers({204: None}, 400, 403, 404)
    )
    def delete(self, request: Request, org_slug: str, team_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.MANAGE_TEAMS)
        services.team_delete(team=selectors.team_of(membership.organisation, team_slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["memberships"], parameters=[ORG_SLUG])
class MembershipListApi(JsonApiView):
    @extend_schema_serializer(component_name="Membership")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        user = PersonSerializer()
        role = serializers.ChoiceField(choices=Role.choices)
        teams = TeamSummarySerializer(many=True)
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="membership_list",
        summary="The organisation's members",
        responses=answers({200: OutputSerializer(many=True)}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.paginated(request, selectors.members_of(membership.organisation), self.OutputSerializer)


@extend_schema(tags=["memberships"], parameters=[ORG_SLUG, MEMBERSHIP_ID])
class MembershipDetailApi(JsonApiView):
    OutputSerializer = MembershipListApi.OutputSerializer

    @extend_schema_serializer(component_name="MembershipUpdate")
    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)
        teams = TeamsField(help_text="The member's teams, each by id or slug; replaces the current teams.")

    @extend_schema(
        operation_id="membership_retrieve",
        summary="A member",
        responses=answers({200: OutputSerializer}, 404),
    )
    def get(self, request: Request, org_slug: str, membership_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return Response(
            self.OutputSerializer(selectors.member_of(membership.organisation, membership_id)).data
        )

    @extend_schema(
        operation_id="membership_update",
        summary="Change a member's role or teams",
        request=InputSerializer,
        responses=answers({200: OutputSerializer}, 400, 403, 404),
    )
    def patch(self, request: Request, org_slug: str, membership_id: int) -> Response:
        organisation = organisation_membership(request, org_slug, Permission.MANAGE_MEMBERS).organisation
        member = selectors.member_of(organisation, membership_id)
        serializer = self.InputSerializer(
            data=request.data, partial=True, context={"organisation": organisation}
        )
        serializer.is_valid(raise_exception=True)
        services.membership_update(membership=member, **serializer.validated_data)
        return Response(self.OutputSerializer(selectors.member_of(organisation, membership_id)).data)

    @extend_schema(
        operation_id="membership_remove",
        summary="Remove a member",
        description="Their access to the organisation ends at once, by session and by token.",
        responses=answers({204: None}, 400, 403, 404),
    )
    def delete(self, request: Request, org_slug: str, membership_id: int) -> Response:
        organisation = organisation_membership(request, org_slug, Permission.MANAGE_MEMBERS).organisation
        services.membership_remove(membership=selectors.member_of(organisation, membership_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["invitations"], parameters=[ORG_SLUG])
class InvitationListApi(JsonApiView):
    @extend_schema_serializer(component_name="InvitationCreate")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=max_length(Invitation, "email"))
        role = serializers.ChoiceField(choices=Role.choices)
        teams = TeamsField(
            required=False, help_text="Teams the person joins on accepting, each by id or slug."
        )

    @extend_schema_serializer(component_name="Invitation")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=Role.choices)
        teams = TeamSummarySerializer(many=True)
        invited_by = PersonSerializer(allow_null=True)
        created_at = serializers.DateTimeField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="invitation_list",
        summary="Pending invitations",
        responses=answers({200: OutputSerializer(many=True)}, 403, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.MANAGE_MEMBERS)
        return self.paginated(
            request, selectors.pending_invitations_of(membership.organisation), self.OutputSerializer
        )

    @extend_schema(
        operation_id="invitation_create",
        summary="Invite someone by email",
        request=InputSerializer,
        responses=answers({201: OutputSerializer}, 400, 403, 404),
    )
    def post(self, request: Request, org_slug: str) -> Response:
        organisation = organisation_membership(request, org_slug, Permission.MANAGE_MEMBERS).organisation
        serializer = self.InputSerializer(data=request.data, context={"organisation": organisation})
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            organisation=organisation, invited_by=request_user(request), **serializer.validated_data
        )
        invitation = selectors.invitation_of(organisation, invitation.pk)
        return Response(self.OutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["invitations"], parameters=[ORG_SLUG, INVITATION_ID])
class InvitationDetailApi(JsonApiView):
    @extend_schema(
        operation_id="invitation_withdraw",
        summary="Withdraw a pending invitation",
        responses=answers({204: None}, 403, 404),
    )
    def delete(self, request: Request, org_slug: str, invitation_id: int) -> Response:
        organisation = organisation_membership(request, org_slug, Permission.MANAGE_MEMBERS).organisation
        services.invitation_revoke(invitation=selectors.invitation_of(organisation, invitation_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["tokens"])
class TokenListApi(JsonApiView):
    @extend_schema_serializer(component_name="TokenCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=max_length(ApiToken, "name"), help_text="What the token is for, e.g. “CI pipeline”."
        )

    @extend_schema_serializer(component_name="Token")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        prefix = serializers.SerializerMethodField(help_text="The token's public start, to recognise it by.")
        created_at = serializers.DateTimeField()
        last_used_at = serializers.DateTimeField(allow_null=True)
        revoked_at = serializers.DateTimeField(allow_null=True)
        active = serializers.BooleanField(source="is_active")

        def get_prefix(self, token: ApiToken) -> str:
            return f"{TOKEN_PREFIX}{token.prefix}"

    @extend_schema_serializer(component_name="IssuedToken")
    class IssuedSerializer(OutputSerializer):
        token = serializers.SerializerMethodField(help_text="The whole token, shown this once only.")

        def get_token(self, token: ApiToken) -> str:
            return str(self.context["plaintext"])

    @extend_schema(
        operation_id="token_list",
        summary="Your personal access tokens",
        description="Secrets are never shown again after creation.",
        responses=answers({200: OutputSerializer(many=True)}),
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, selectors.tokens_of(request_user(request)), self.OutputSerializer)

    @extend_schema(
        operation_id="token_create",
        summary="Create a personal access token",
        request=InputSerializer,
        responses=answers({201: IssuedSerializer}, 400),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.api_token_create(user=request_user(request), **serializer.validated_data)
        output = self.IssuedSerializer(issued.token, context={"plaintext": issued.plaintext})
        return Response(output.data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tokens"], parameters=[TOKEN_ID])
class TokenDetailApi(JsonApiView):
    @extend_schema(
        operation_id="token_revoke",
        summary="Revoke a personal access token",
        description="The token stops working at once.",
        responses=answers({204: None}, 404),
    )
    def delete(self, request: Request, token_id: int) -> Response:
        services.api_token_revoke(token=selectors.token_of(request_user(request), token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

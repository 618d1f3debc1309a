"""A member's own notifications through the API, under /api/v1/organisations/<org_slug>/: the list (unread first,
or only the unread ones), the unread count, marking one or every one read, and how they like their e-mail.

A second adapter over projects.notifications, as the notification pages (projects.notification_views) are. Each
member sees only their own notifications in the organisation: anyone else's, in any organisation, is not found
(404). Marking read is idempotent: a notification read already stays read from when it was first read.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects import notifications
from projects.api import ORG_SLUG, JsonApiView, PersonSerializer, answers
from projects.api_access import organisation_membership
from projects.api_workspace import WorkspaceApiView, lists
from projects.models import Membership
from projects.notification_models import EmailMode, EmailStatus, NotificationKind


@extend_schema_serializer(component_name="Notification")
class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    subject = serializers.CharField(help_text="What happened, in one sentence.")
    url = serializers.CharField(help_text="The site-relative address of what it is about, e.g. /o/acme/...")
    actor = PersonSerializer(allow_null=True, help_text="Who did it; null for the daily reminders.")
    target_type = serializers.CharField(
        help_text='What it is about, as "app.model" (e.g. projects.threat); blank when about nothing in particular.'
    )
    target_id = serializers.IntegerField(allow_null=True, help_text="Its id; it may have been deleted since.")
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField(source="is_read")
    read_at = serializers.DateTimeField(allow_null=True)
    email_status = serializers.ChoiceField(
        choices=EmailStatus.choices,
        help_text="Its e-mail: not_sent (none yet, or none wanted), sending, sent, or failed (given up).",
    )
    email_error = serializers.CharField(help_text="Why its e-mail last failed; blank when it did not.")


@extend_schema_serializer(component_name="UnreadCount")
class UnreadOutput(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Your unread notifications in this organisation.")


@extend_schema_serializer(component_name="NotificationsRead")
class MarkedOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are read now.")


@extend_schema_serializer(component_name="NotificationPreferences")
class PreferenceOutput(serializers.Serializer):
    email = serializers.ChoiceField(choices=EmailMode.choices, help_text="How you are e-mailed.")
    muted_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationKind.choices),
        help_text="Kinds never e-mailed; they still appear in the list.",
    )
    saved = serializers.BooleanField(help_text="false: the defaults, until you save your own.")


@extend_schema_serializer(component_name="NotificationPreferencesWrite")
class PreferenceInput(serializers.Serializer):
    email = serializers.ChoiceField(
        choices=EmailMode.choices,
        help_text="immediate: one e-mail per notification; digest: once a day, the day's unread ones; off: only "
        "in the app.",
    )
    muted_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationKind.choices),
        max_length=len(NotificationKind) * 2,
        default=list,
        help_text="Kinds never to e-mail, whatever `email` says; they still appear in the list.",
    )


def _preference(membership: Membership) -> Any:
    preference = notifications.preference_of(membership)
    shown = {
        "email": preference.email,
        "muted_kinds": preference.muted_kinds,
        "saved": preference.pk is not None,
    }
    return PreferenceOutput(shown).data


NOTIFICATION_ID = OpenApiParameter(
    "notification_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The notification's id."
)
UNREAD = OpenApiParameter(
    "unread",
    OpenApiTypes.BOOL,
    description="true: only the unread ones. Otherwise the unread ones come first.",
)


@extend_schema(tags=["notifications"], parameters=[ORG_SLUG])
class NotificationListApi(WorkspaceApiView):
    @lists(
        "notification_list",
        "Your notifications in the organisation, unread first, newest first within each",
        NotificationOutput,
        [UNREAD],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        unread = request.query_params.get("unread", "").lower() in {"true", "1", "yes"}
        rows = notifications.notifications_of(membership, unread_only=unread)
        return self.paginated(request, rows, NotificationOutput)


@extend_schema(tags=["notifications"], parameters=[ORG_SLUG])
class UnreadCountApi(JsonApiView):
    @extend_schema(
        operation_id="notification_unread_count",
        summary="How many of your notifications in the organisation are unread",
        responses=answers({200: UnreadOutput}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        return Response(UnreadOutput({"unread": notifications.unread_count(membership)}).data)


@extend_schema(tags=["notifications"], parameters=[ORG_SLUG])
class ReadAllApi(JsonApiView):
    @extend_schema(
        operation_id="notification_read_all",
        summary="Mark every one of your notifications in the organisation read",
        request=None,
        responses=answers({200: MarkedOutput}, 404),
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        marked = notifications.notifications_mark_read(membership=membership)
        return Response(MarkedOutput({"marked": marked}).data)


@extend_schema(tags=["notifications"], parameters=[ORG_SLUG, NOTIFICATION_ID])
class ReadApi(JsonApiView):
    @extend_schema(
        operation_id="notification_read",
        summary="Mark one of your notifications read",
        request=None,
        responses=answers({200: NotificationOutput}, 404),
    )
    def post(self, request: Request, org_slug: str, notification_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        notification = notifications.notification_of(membership, notification_id)
        notifications.notifications_mark_read(membership=membership, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationOutput(notification).data)


@extend_schema(tags=["notifications"], parameters=[ORG_SLUG])
class PreferenceApi(JsonApiView):
    @extend_schema(
        operation_id="notification_preferences_retrieve",
        summary="How you are e-mailed about your notifications in the organisation",
        responses=answers({200: PreferenceOutput}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return Response(_preference(organisation_membership(request, org_slug)))

    @extend_schema(
        operation_id="notification_preferences_replace",
        summary="Set how you are e-mailed about your notifications in the organisation",
        description="Every field is set: muted_kinds left out mutes nothing. Every notification is listed in the "
        "app whatever you choose.",
        request=PreferenceInput,
        responses=answers({200: PreferenceOutput}, 400, 404),
    )
    def put(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        serializer = PreferenceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        notifications.preference_update(membership=membership, **serializer.validated_data)
        return Response(_preference(membership))

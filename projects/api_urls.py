from django.urls import path

from projects import api, api_workspace, comment_api, notification_api, review_api
from projects.interop import api as interop_api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api_me"),
    path("organisations/", api.OrganisationListApi.as_view(), name="api_organisation_list"),
    path(
        "organisations/<slug:org_slug>/", api.OrganisationDetailApi.as_view(), name="api_organisation_detail"
    ),
    path("organisations/<slug:org_slug>/teams/", api.TeamListApi.as_view(), name="api_team_list"),
    path(
        "organisations/<slug:org_slug>/teams/<slug:team_slug>/",
        api.TeamDetailApi.as_view(),
        name="api_team_detail",
    ),
    path(
        "organisations/<slug:org_slug>/memberships/",
        api.MembershipListApi.as_view(),
        name="api_membership_list",
    ),
    path(
        "organisations/<slug:org_slug>/memberships/<int:membership_id>/",
        api.MembershipDetailApi.as_view(),
        name="api_membership_detail",
    ),
    path(
        "organisations/<slug:org_slug>/invitations/",
        api.InvitationListApi.as_view(),
        name="api_invitation_list",
    ),
    path(
        "organisations/<slug:org_slug>/invitations/<int:invitation_id>/",
        api.InvitationDetailApi.as_view(),
        name="api_invitation_detail",
    ),
    path("tokens/", api.TokenListApi.as_view(), name="api_token_list"),
    path("tokens/<int:token_id>/", api.TokenDetailApi.as_view(), name="api_token_detail"),
]

PROJECT = "organisations/<slug:org_slug>/projects/<int:project_id>/"

urlpatterns += [
    path(
        "organisations/<slug:org_slug>/projects/",
        api_workspace.ProjectListApi.as_view(),
        name="api_project_list",
    ),
    path(PROJECT, api_workspace.ProjectDetailApi.as_view(), name="api_project_detail"),
    path(PROJECT + "zones/", api_workspace.ZoneListApi.as_view(), name="api_zone_list"),
    path(PROJECT + "zones/<int:zone_id>/", api_workspace.ZoneDetailApi.as_view(), name="api_zone_detail"),
    path(PROJECT + "assets/", api_workspace.AssetListApi.as_view(), name="api_asset_list"),
    path(PROJECT + "assets/<int:asset_id>/", api_workspace.AssetDetailApi.as_view(), name="api_asset_detail"),
    path(PROJECT + "components/", api_workspace.ComponentListApi.as_view(), name="api_component_list"),
    path(
        PROJECT + "components/<int:component_id>/",
        api_workspace.ComponentDetailApi.as_view(),
        name="api_component_detail",
    ),
    path(
        PROJECT + "components/<int:component_id>/library/",
        api_workspace.ComponentLibraryApi.as_view(),
        name="api_component_library",
    ),
    path(PROJECT + "flows/", api_workspace.FlowListApi.as_view(), name="api_flow_list"),
    path(PROJECT + "flows/<int:flow_id>/", api_workspace.FlowDetailApi.as_view(), name="api_flow_detail"),
    path(
        PROJECT + "flows/<int:flow_id>/library/",
        api_workspace.FlowLibraryApi.as_view(),
        name="api_flow_library",
    ),
    path(PROJECT + "threats/", api_workspace.ThreatListApi.as_view(), name="api_threat_list"),
    path(
        PROJECT + "threats/bulk-status/",
        api_workspace.ThreatBulkStatusApi.as_view(),
        name="api_threat_bulk_status",
    ),
    path(
        PROJECT + "threats/<int:threat_number>/",
        api_workspace.ThreatDetailApi.as_view(),
        name="api_threat_detail",
    ),
    path(PROJECT + "controls/", api_workspace.ControlListApi.as_view(), name="api_control_list"),
    path(
        PROJECT + "controls/bulk-status/",
        api_workspace.ControlBulkStatusApi.as_view(),
        name="api_control_bulk_status",
    ),
    path(
        PROJECT + "controls/<int:control_id>/",
        api_workspace.ControlDetailApi.as_view(),
        name="api_control_detail",
    ),
    path(PROJECT + "links/", api_workspace.LinkListApi.as_view(), name="api_link_list"),
    path(PROJECT + "links/<int:link_id>/", api_workspace.LinkDetailApi.as_view(), name="api_link_detail"),
    path(PROJECT + "export/", interop_api.ExportApi.as_view(), name="api_model_export"),
    path("imports/", interop_api.ImportApi.as_view(), name="api_model_import"),
]

ORGANISATION = "organisations/<slug:org_slug>/"

urlpatterns += [
    path(
        ORGANISATION + "reviews/threats/", review_api.ReviewQueueApi.as_view(), name="api_review_threat_list"
    ),
    path(
        ORGANISATION + "reviews/threats/decision/",
        review_api.ThreatDecisionsApi.as_view(),
        name="api_review_threats_decide",
    ),
    path(
        ORGANISATION + "reviews/models/", review_api.ModelsWaitingApi.as_view(), name="api_review_model_list"
    ),
    path(
        PROJECT + "threats/<int:threat_number>/decision/",
        review_api.ThreatDecisionApi.as_view(),
        name="api_review_threat_decide",
    ),
    path(PROJECT + "review/", review_api.ModelReviewApi.as_view(), name="api_model_review"),
    path(
        PROJECT + "review/submission/",
        review_api.ModelReviewSubmissionApi.as_view(),
        name="api_model_review_submit",
    ),
    path(
        PROJECT + "review/withdrawal/",
        review_api.ModelReviewWithdrawalApi.as_view(),
        name="api_model_review_withdraw",
    ),
    path(
        PROJECT + "review/decision/",
        review_api.ModelReviewDecisionApi.as_view(),
        name="api_model_review_decide",
    ),
    path(
        PROJECT + "review/changes/",
        review_api.ModelReviewChangesApi.as_view(),
        name="api_model_review_changes",
    ),
    path(PROJECT + "review/history/", review_api.ModelReviewListApi.as_view(), name="api_model_review_list"),
]

urlpatterns += [
    path(PROJECT + "comments/", comment_api.ProjectCommentListApi.as_view(), name="api_project_comment_list"),
    path(
        PROJECT + "threats/<int:threat_number>/comments/",
        comment_api.ThreatCommentListApi.as_view(),
        name="api_threat_comment_list",
    ),
    path(
        PROJECT + "controls/<int:control_id>/comments/",
        comment_api.ControlCommentListApi.as_view(),
        name="api_control_comment_list",
    ),
    path(
        ORGANISATION + "risks/<int:risk_number>/comments/",
        comment_api.RiskCommentListApi.as_view(),
        name="api_risk_comment_list",
    ),
    path(
        ORGANISATION + "comments/<int:comment_id>/",
        comment_api.CommentDetailApi.as_view(),
        name="api_comment_detail",
    ),
]

NOTIFICATIONS = ORGANISATION + "notifications/"

urlpatterns += [
    path(NOTIFICATIONS, notification_api.NotificationListApi.as_view(), name="api_notification_list"),
    path(
        NOTIFICATIONS + "unread-count/",
        notification_api.UnreadCountApi.as_view(),
        name="api_notification_unread_count",
    ),
    path(NOTIFICATIONS + "read/", notification_api.ReadAllApi.as_view(), name="api_notification_read_all"),
    path(
        NOTIFICATIONS + "<int:notification_id>/read/",
        notification_api.ReadApi.as_view(),
        name="api_notification_read",
    ),
    path(
        ORGANISATION + "notification-preferences/",
        notification_api.PreferenceApi.as_view(),
        name="api_notification_preferences",
    ),
]

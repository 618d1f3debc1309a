from django.urls import include, path

from projects import activity_views, comment_views, estate_views, views
from projects.interop import backup_views
from projects.interop import views as interop_views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/new/", views.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/my-work/", estate_views.my_work, name="my_work"),
    path("o/<slug:org_slug>/my-work/summary/", estate_views.my_work_summary, name="my_work_summary"),
    path("o/<slug:org_slug>/notifications/", include("projects.notification_urls")),
    path("o/<slug:org_slug>/projects/", include("projects.workspace_urls")),
    path("o/<slug:org_slug>/", include("projects.review_urls")),
    path(
        "o/<slug:org_slug>/projects/<int:project_id>/export/",
        interop_views.model_export,
        name="model_export",
    ),
    path("o/<slug:org_slug>/import/", interop_views.model_import_upload, name="model_import"),
    path("o/<slug:org_slug>/import/commit/", interop_views.model_import_commit, name="model_import_commit"),
    path("o/<slug:org_slug>/activity/", activity_views.organisation_activity, name="organisation_activity"),
    path(
        "o/<slug:org_slug>/projects/<int:project_id>/activity/",
        activity_views.project_activity,
        name="project_activity",
    ),
    path(
        "o/<slug:org_slug>/projects/<int:project_id>/comments/",
        comment_views.project_comments,
        name="project_comments",
    ),
    path(
        "o/<slug:org_slug>/projects/<int:project_id>/threats/<int:threat_number>/comments/",
        comment_views.threat_comments,
        name="threat_comments",
    ),
    path(
        "o/<slug:org_slug>/projects/<int:project_id>/controls/<int:control_id>/comments/",
        comment_views.control_comments,
        name="control_comments",
    ),
    path("o/<slug:org_slug>/comments/mentions/", comment_views.comment_mentions, name="comment_mentions"),
    path(
        "o/<slug:org_slug>/comments/<int:comment_id>/edit/", comment_views.comment_edit, name="comment_edit"
    ),
    path(
        "o/<slug:org_slug>/comments/<int:comment_id>/delete/",
        comment_views.comment_delete,
        name="comment_delete",
    ),
    path("o/<slug:org_slug>/threats/", estate_views.estate_threat_list, name="estate_threat_list"),
    path("o/<slug:org_slug>/controls/", estate_views.estate_control_list, name="estate_control_list"),
    path("o/<slug:org_slug>/settings/", views.organisation_settings, name="organisation_settings"),
    path("o/<slug:org_slug>/settings/backup/", backup_views.organisation_backup, name="organisation_backup"),
    path(
        "o/<slug:org_slug>/settings/backup/download/",
        backup_views.organisation_backup_download,
        name="organisation_backup_download",
    ),
    path(
        "o/<slug:org_slug>/settings/backup/restore/",
        backup_views.organisation_restore,
        name="organisation_restore",
    ),
    path("o/<slug:org_slug>/members/", views.member_list, name="member_list"),
    path("o/<slug:org_slug>/members/invite/", views.member_invite, name="member_invite"),
    path("o/<slug:org_slug>/members/<int:membership_id>/", views.member_update, name="member_update"),
    path("o/<slug:org_slug>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:org_slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("o/<slug:org_slug>/teams/", views.team_list, name="team_list"),
    path("o/<slug:org_slug>/teams/new/", views.team_create, name="team_create"),
    path("o/<slug:org_slug>/teams/<slug:team_slug>/", views.team_detail, name="team_detail"),
    path("o/<slug:org_slug>/teams/<slug:team_slug>/delete/", views.team_delete, name="team_delete"),
    path("o/<slug:org_slug>/settings/webhooks/", include("projects.webhook_urls")),
]

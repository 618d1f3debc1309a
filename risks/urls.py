"""The business-risk register's pages, under /o/<org_slug>/risks/."""

from django.urls import path

from projects import comment_views
from risks import acceptance_views, register_import_views, risk_views, settings_views

R = "<int:risk_number>/"

urlpatterns = [
    path("", risk_views.risk_list, name="risk_list"),
    path("new/", risk_views.risk_create, name="risk_create"),
    path("settings/", settings_views.scoring_settings, name="scoring_settings"),
    path("import/", register_import_views.register_import_upload, name="register_import"),
    path("import/columns/", register_import_views.register_import_columns, name="register_import_columns"),
    path("import/preview/", register_import_views.register_import_preview, name="register_import_preview"),
    path("import/commit/", register_import_views.register_import_commit, name="register_import_commit"),
    path(
        "import/template.csv", register_import_views.register_import_template, name="register_import_template"
    ),
    path(R, risk_views.risk_detail, name="risk_detail"),
    path(R + "edit/", risk_views.risk_edit, name="risk_edit"),
    path(R + "delete/", risk_views.risk_delete, name="risk_delete"),
    path(R + "what-if/", risk_views.risk_what_if, name="risk_what_if"),
    path(R + "comments/", comment_views.risk_comments, name="risk_comments"),
    path(R + "scenarios/", risk_views.scenario_create, name="scenario_create"),
    path(R + "scenarios/<int:scenario_id>/delete/", risk_views.scenario_delete, name="scenario_delete"),
    path(R + "acceptances/", acceptance_views.acceptance_request, name="acceptance_request"),
    path(
        R + "acceptances/<int:acceptance_id>/decide/",
        acceptance_views.acceptance_decide,
        name="acceptance_decide",
    ),
    path(
        R + "acceptances/<int:acceptance_id>/withdraw/",
        acceptance_views.acceptance_withdraw,
        name="acceptance_withdraw",
    ),
]

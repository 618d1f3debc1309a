"""The dashboards' and reports' pages, under /o/<org_slug>/."""

from django.urls import path

from reports import report_views, schedule_views, views

urlpatterns = [
    path("", views.organisation_dashboard, name="organisation_dashboard"),
    path("snapshot/", views.snapshot_take, name="snapshot_take"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/schedule/", schedule_views.report_schedule, name="report_schedule"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/download/", report_views.report_download, name="report_download"),
]

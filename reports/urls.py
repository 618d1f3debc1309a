"""The dashboards' pages, under /o/<org_slug>/."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.organisation_dashboard, name="organisation_dashboard"),
    path("snapshot/", views.snapshot_take, name="snapshot_take"),
]

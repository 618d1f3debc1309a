from django.urls import path

from reports import api

urlpatterns = [
    path("organisations/<slug:org_slug>/dashboard/", api.DashboardApi.as_view(), name="api_dashboard"),
]

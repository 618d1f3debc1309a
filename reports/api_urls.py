from django.urls import path

from reports import api, api_reports

ORGANISATION = "organisations/<slug:org_slug>/"
REPORT = ORGANISATION + "reports/<int:report_id>/"

urlpatterns = [
    path(ORGANISATION + "dashboard/", api.DashboardApi.as_view(), name="api_dashboard"),
    path(ORGANISATION + "reports/", api_reports.ReportListApi.as_view(), name="api_report_list"),
    path(REPORT, api_reports.ReportDetailApi.as_view(), name="api_report_detail"),
    path(REPORT + "download/", api_reports.ReportDownloadApi.as_view(), name="api_report_download"),
]

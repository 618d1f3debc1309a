from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from threatmodel.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.account.urls")),
    path("api/v1/", include("projects.api_urls")),
    path("api/v1/", include("risks.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("o/<slug:org_slug>/risks/", include("risks.urls")),
    path("o/<slug:org_slug>/", include("reports.urls")),
    path("", include("projects.urls")),
]

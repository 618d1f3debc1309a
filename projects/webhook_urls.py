"""The owners' webhook pages, under /o/<org_slug>/settings/webhooks/."""

from django.urls import path

from projects import webhook_views

W = "<int:webhook_id>/"

urlpatterns = [
    path("", webhook_views.webhook_list, name="webhook_list"),
    path("new/", webhook_views.webhook_create, name="webhook_create"),
    path(W, webhook_views.webhook_detail, name="webhook_detail"),
    path(W + "test/", webhook_views.webhook_test, name="webhook_test"),
    path(W + "enable/", webhook_views.webhook_reenable, name="webhook_reenable"),
    path(W + "secret/", webhook_views.webhook_secret, name="webhook_secret"),
    path(W + "delete/", webhook_views.webhook_delete, name="webhook_delete"),
]

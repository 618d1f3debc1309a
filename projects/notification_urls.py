"""A member's notifications, under /o/<org_slug>/notifications/."""

from django.urls import path

from projects import notification_views

urlpatterns = [
    path("", notification_views.notification_list, name="notification_list"),
    path("read/", notification_views.notification_read_all, name="notification_read_all"),
    path("badge/", notification_views.notification_badge, name="notification_badge"),
    path("settings/", notification_views.notification_preferences, name="notification_preferences"),
    path("<int:notification_id>/", notification_views.notification_open, name="notification_open"),
    path("<int:notification_id>/read/", notification_views.notification_read, name="notification_read"),
]

"""The review pages, under /o/<org_slug>/: the organisation's review queue and each project's Review tab."""

from django.urls import path

from projects import live_views, review_views

P = "projects/<int:project_id>/review/"

urlpatterns = [
    path("reviews/", review_views.review_queue, name="review_queue"),
    path("reviews/decide/", review_views.review_queue_decide, name="review_queue_decide"),
    path(P, review_views.project_review, name="project_review"),
    path(P + "submit/", review_views.project_review_submit, name="project_review_submit"),
    path(P + "withdraw/", review_views.project_review_withdraw, name="project_review_withdraw"),
    path(P + "decide/", review_views.project_review_decide, name="project_review_decide"),
    path(P + "changes/", review_views.project_review_changes, name="project_review_changes"),
    path(P + "live/", live_views.live_review, name="live_review"),
]

from django.urls import path

from projects import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api_me"),
    path("organisations/", api.OrganisationListApi.as_view(), name="api_organisation_list"),
    path(
        "organisations/<slug:org_slug>/", api.OrganisationDetailApi.as_view(), name="api_organisation_detail"
    ),
    path("organisations/<slug:org_slug>/teams/", api.TeamListApi.as_view(), name="api_team_list"),
    path(
        "organisations/<slug:org_slug>/teams/<slug:team_slug>/",
        api.TeamDetailApi.as_view(),
        name="api_team_detail",
    ),
    path(
        "organisations/<slug:org_slug>/memberships/",
        api.MembershipListApi.as_view(),
        name="api_membership_list",
    ),
    path(
        "organisations/<slug:org_slug>/memberships/<int:membership_id>/",
        api.MembershipDetailApi.as_view(),
        name="api_membership_detail",
    ),
    path(
        "organisations/<slug:org_slug>/invitations/",
        api.InvitationListApi.as_view(),
        name="api_invitation_list",
    ),
    path(
        "organisations/<slug:org_slug>/invitations/<int:invitation_id>/",
        api.InvitationDetailApi.as_view(),
        name="api_invitation_detail",
    ),
    path("tokens/", api.TokenListApi.as_view(), name="api_token_list"),
    path("tokens/<int:token_id>/", api.TokenDetailApi.as_view(), name="api_token_detail"),
]

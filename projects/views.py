from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import selectors, services
from projects.access import SESSION_ORGANISATION_KEY, member_required
from projects.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InvitationForm,
    MembershipForm,
    OrganisationForm,
    TeamForm,
)
from projects.http import AuthenticatedHttpRequest
from projects.models import Membership
from projects.roles import ROLE_PERMISSIONS, ROLE_SUMMARIES, Permission, Role


def _apply_errors(form: object, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, field by field where it names fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]
    else:
        form.add_error(None, error)  # type: ignore[attr-defined]


@require_GET
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = selectors.organisations_for(request.user)
    remembered = request.session.get(SESSION_ORGANISATION_KEY)
    chosen = organisations.filter(slug=remembered).first() or organisations.first()
    if chosen is None:
        return render(request, "projects/no_organisation.html")
    return redirect("organisation_dashboard", org_slug=chosen.slug)


@require_http_methods(["GET", "POST"])
@member_required(Permission.MANAGE_ORGANISATION)
def organisation_settings(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    organisation = membership.organisation
    form = OrganisationForm(request.POST or None, initial={"name": organisation.name})
    if request.method == "POST" and form.is_valid():
        services.organisation_rename(organisation=organisation, name=form.cleaned_data["name"])
        messages.success(request, "Organisation settings saved.")
        return redirect("organisation_settings", org_slug=organisation.slug)
    return render(request, "projects/organisation_settings.html", {"membership": membership, "form": form})


MEMBERS_PER_PAGE = 50


def _members_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = membership.organisation
    page = Paginator(selectors.members_of(organisation), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "page": page,
        "members": page.object_list,
        "invitations": selectors.pending_invitations_of(organisation),
        "invite_form": invite_form or InvitationForm(organisation),
        "roles": [(Role(role), ROLE_SUMMARIES[role]) for role in ROLE_PERMISSIONS],
        "can_manage": membership.can(Permission.MANAGE_MEMBERS),
        "team_choices": list(selectors.teams_of(organisation)),
    }
    return render(request, "projects/members.html", context, status=status)


@require_GET
@member_required()
def member_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    return _members_page(request, membership)


@require_POST
@member_required(Permission.MANAGE_MEMBERS)
def member_invite(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = InvitationForm(membership.organisation, request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organisation=membership.organisation, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("member_list", org_slug=membership.organisation.slug)
    return _members_page(request, membership, invite_form=form, status=400)


@require_POST
@member_required(Permission.MANAGE_MEMBERS)
def member_update(
    request: AuthenticatedHttpRequest, membership: Membership, membership_id: int
) -> HttpResponse:
    member = selectors.member_of(membership.organisation, membership_id)
    form = MembershipForm(membership.organisation, request.POST)
    error_status = 400
    if form.is_valid():
        try:
            services.membership_update(membership=member, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{member.user} is now {member.get_role_display().lower()}.")
            error_status = 200
    if request.htmx:
        member = selectors.member_of(membership.organisation, membership_id)
        context = {
            "membership": membership,
            "member": member,
            "can_manage": True,
            "form_errors": form.errors,
            "team_choices": list(selectors.teams_of(membership.organisation)),
        }
        return render(request, "projects/members.html#member-row", context, status=error_status)
    if error_status != 200:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _members_page(request, membership, status=error_status)
    return redirect("member_list", org_slug=membership.organisation.slug)


@require_POST
@member_required(Permission.MANAGE_MEMBERS)
def member_remove(
    request: AuthenticatedHttpRequest, membership: Membership, membership_id: int
) -> HttpResponse:
    member = selectors.member_of(membership.organisation, membership_id)
    try:
        services.membership_remove(membership=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{member.user} was removed from {membership.organisation}.")
    if member.user_id == request.user.pk:
        return redirect("home")
    return redirect("member_list", org_slug=membership.organisation.slug)


@require_POST
@member_required(Permission.MANAGE_MEMBERS)
def invitation_revoke(
    request: AuthenticatedHttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    invitation = selectors.invitation_of(membership.organisation, invitation_id)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("member_list", org_slug=membership.organisation.slug)


def _teams_page(
    request: AuthenticatedHttpRequest, membership: Membership, form: TeamForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "membership": membership,
        "teams": selectors.teams_of(membership.organisation),
        "form": form or TeamForm(),
        "can_manage": membership.can(Permission.MANAGE_TEAMS),
    }
    return render(request, "projects/teams.html", context, status=status)


@require_GET
@member_required()
def team_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    return _teams_page(request, membership)


@require_POST
@member_required(Permission.MANAGE_TEAMS)
def team_create(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = services.team_create(organisation=membership.organisation, name=form.cleaned_data["name"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("team_detail", org_slug=membership.organisation.slug, team_slug=team.slug)
    return _teams_page(request, membership, form=form, status=400)


@require_http_methods(["GET", "POST"])
@member_required()
def team_detail(request: AuthenticatedHttpRequest, membership: Membership, team_slug: str) -> HttpResponse:
    team = selectors.team_of(membership.organisation, team_slug)
    can_manage = membership.can(Permission.MANAGE_TEAMS)
    form = TeamForm(request.POST or None, initial={"name": team.name})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only owners rename teams.")
        if form.is_valid():
            try:
                services.team_rename(team=team, name=form.cleaned_data["name"])
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Team renamed.")
                return redirect("team_detail", org_slug=membership.organisation.slug, team_slug=team.slug)
    members = selectors.members_of(membership.organisation).filter(teams=team)
    context = {
        "membership": membership,
        "team": team,
        "members": members,
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "projects/team_detail.html", context, status=400 if form.errors else 200)


@require_POST
@member_required(Permission.MANAGE_TEAMS)
def team_delete(request: AuthenticatedHttpRequest, membership: Membership, team_slug: str) -> HttpResponse:
    team = selectors.team_of(membership.organisation, team_slug)
    try:
        services.team_delete(team=team)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("team_detail", org_slug=membership.organisation.slug, team_slug=team.slug)
    messages.success(request, f"Team {team.name} deleted.")
    return redirect("team_list", org_slug=membership.organisation.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    form = AcceptInvitationForm(invitation.email, request.POST or None)
    if request.method == "POST" and invitation.is_pending:
        try:
            if request.user.is_authenticated:
                services.invitation_accept(invitation=invitation, user=request.user)
            elif form.is_valid():
                user = services.invitation_accept_as_new_user(
                    invitation=invitation,
                    password=form.cleaned_data["password1"],
                    name=form.cleaned_data["name"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                return render(
                    request,
                    "projects/invitation_accept.html",
                    {"invitation": invitation, "form": form},
                    status=400,
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("invitation_accept", token=token)
        messages.success(request, f"Welcome to {invitation.organisation}.")
        return redirect("organisation_dashboard", org_slug=invitation.organisation.slug)
    return render(request, "projects/invitation_accept.html", {"invitation": invitation, "form": form})


@require_GET
@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "projects/tokens.html", {"tokens": selectors.tokens_of(request.user), "form": ApiTokenForm()}
    )


@require_POST
@login_required
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "projects/tokens.html",
            {"tokens": selectors.tokens_of(request.user), "form": form},
            status=400,
        )
    issued = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    context = {"tokens": selectors.tokens_of(request.user), "form": ApiTokenForm(), "issued": issued}
    return render(request, "projects/tokens.html", context, status=201)


@require_POST
@login_required
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = selectors.token_of(request.user, token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("token_list")

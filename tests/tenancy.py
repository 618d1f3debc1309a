"""The worlds and the sample registry behind the tenant-isolation walk (tests/test_tenant_isolation.py).

Every URL parameter of every route must have a sample here: a real object of the right type owned by
organisation A (the signed-in user's) and one owned by organisation B. A route added without its samples
makes the walk fail, so every new route is covered or breaks the build.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from django.core.files.base import ContentFile
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

from projects.comment_models import Comment
from projects.models import (
    ApiToken,
    Asset,
    Component,
    ComponentAsset,
    ComponentKind,
    Control,
    DataFlow,
    FlowAsset,
    Invitation,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
    User,
)
from projects.notification_models import Notification, NotificationKind, NotificationPreference
from projects.review_models import ModelReview, ThreatReview
from projects.roles import Role
from projects.services import api_token_create
from projects.webhook_models import WebhookDelivery, WebhookEndpoint
from reports.models import Report, ReportKind, ReportSchedule, ReportStatus
from risks import inputs
from risks.models import (
    BusinessRisk,
    PortfolioResult,
    RiskAcceptance,
    RiskResult,
    RiskSnapshot,
    Scenario,
    ScenarioResult,
    ScoringSettings,
)
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    TeamFactory,
    ThreatControlFactory,
    ThreatFactory,
    TrustZoneFactory,
    UserFactory,
)

# Text that appears in every name of organisation B's data; it must never show up in a response to A.
B_MARKER = "Zqx7Marker"


@dataclass
class World:
    """One organisation's data, as the walk needs it."""

    organisation: Organisation
    actor: User  # an owner: the most a member can do, so no permission check hides a leak
    actor_token: ApiToken
    team: Team
    member: Membership  # a non-owner member, the target of member routes
    invitation: Invitation
    actor_token_plaintext: str
    project: Project
    zone: TrustZone
    asset: Asset
    component: Component
    flow: DataFlow
    threat: Threat
    control: Control
    link: ThreatControl
    risk: BusinessRisk
    scenario: Scenario
    acceptance: RiskAcceptance
    scoring: ScoringSettings
    report: Report


def build_world(name: str, slug: str, email_domain: str, threat_number: int) -> World:
    organisation = OrganisationFactory.create(name=name, slug=slug)
    actor = UserFactory.create(email=f"owner@{email_domain}", name=f"{name} Owner")
    MembershipFactory.create(user=actor, organisation=organisation, role=Role.OWNER)
    team = TeamFactory.create(organisation=organisation, name=f"{name} Team", slug=f"{slug}-team")
    member = MembershipFactory.create(
        user=UserFactory.create(email=f"engineer@{email_domain}", name=f"{name} Engineer"),
        organisation=organisation,
        role=Role.ENGINEER,
        teams=[team],
    )
    invitation = InvitationFactory.create(
        organisation=organisation, email=f"invitee@{email_domain}", invited_by=actor
    )
    issued = api_token_create(user=actor, name=f"{name} token")
    project = ProjectFactory.create(team=team, name=f"{name} Project", description=f"{name} system")
    zone = TrustZoneFactory.create(project=project, name=f"{name} Zone")
    asset = AssetFactory.create(project=project, name=f"{name} Asset")
    component = ComponentFactory.create(project=project, name=f"{name} Component", zone=zone)
    store = ComponentFactory.create(project=project, name=f"{name} Store", kind=ComponentKind.DATA_STORE)
    component.assets.set([asset])
    flow = DataFlowFactory.create(project=project, source=component, destination=store, name=f"{name} Flow")
    threat = ThreatFactory.create(
        project=project,
        number=threat_number,
        threat_source=f"{name} attacker",
        threat_action=f"steal the {name} data",
        owner=actor,
    )
    threat.target_components.set([component])
    threat.target_flows.set([flow])
    threat.impacted_assets.set([asset])
    control = ControlFactory.create(project=project, title=f"{name} Control", owner=actor)
    link = ThreatControlFactory.create(threat=threat, control=control)
    hook = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=f"https://hooks.{email_domain}/{slug}",
        description=f"{name} hooks",
        events=["threat.created"],
        secret=f"whsec_{slug}",
        created_by=actor,
    )
    WebhookDelivery.objects.create(endpoint=hook, event="threat.created", payload={"data": {"name": name}})
    scoring = ScoringSettings.objects.create(
        organisation=organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
    )
    # B's risk has another number than A's, as its threat does.
    risk = BusinessRisk.objects.create(
        organisation=organisation, number=threat_number, title=f"{name} outage", impact="high", owner=actor
    )
    scenario = Scenario.objects.create(risk=risk, threat=threat)
    acceptance = RiskAcceptance.objects.create(
        risk=risk, requested_by=actor, rationale=f"{name} rationale", expires_on=datetime.date(2099, 1, 1)
    )
    report = Report.objects.create(
        organisation=organisation, kind=ReportKind.PROJECT, project=project, status=ReportStatus.DONE
    )
    report.file.save("report.pdf", ContentFile(f"%PDF-1.7 {name} report".encode()))
    Notification.objects.create(
        organisation=organisation,
        recipient=actor,
        kind=NotificationKind.ASSIGNMENT,
        subject=f"{name} notification",
        url=f"/o/{slug}/my-work/",
    )
    NotificationPreference.objects.create(membership=member, email="digest")
    Comment.objects.create(
        organisation=organisation, project=project, threat=threat, author=actor, body=f"{name} comment"
    )
    return World(
        organisation,
        actor,
        issued.token,
        team,
        member,
        invitation,
        issued.plaintext,
        project,
        zone,
        asset,
        component,
        flow,
        threat,
        control,
        link,
        risk,
        scenario,
        acceptance,
        scoring,
        report,
    )


def build_worlds() -> tuple[World, World]:
    # B's threat has another number than A's, so B's number inside A's project names nothing.
    a = build_world("Alpha Org", "alpha", "alpha.test", threat_number=1)
    b = build_world(
        f"Beta {B_MARKER}", f"beta-{B_MARKER.lower()}", f"{B_MARKER.lower()}.test", threat_number=7
    )
    return a, b


class Kind(Enum):
    """What a route's parameters point at, and so what the walk expects of them."""

    TENANT = "tenant"  # organisation data: B's values answer 404, A's do not
    PERSONAL = "personal"  # the user's own objects (API tokens): another user's answer 404
    CAPABILITY = (
        "capability"  # a secret in the URL (an invitation link): it may show its one object, nothing else
    )
    PUBLIC = "public"  # not tenant data at all (password-reset keys): no B data may appear


type SampleFn = Callable[[World], str | int]


@dataclass(frozen=True)
class Sample:
    kind: Kind
    value: SampleFn


def org(w: World) -> str:
    return w.organisation.slug


# Parameters that mean the same on every route that has them: a route made only of these needs no entry of
# its own in SAMPLES. A parameter name not listed here or in SAMPLES still breaks the walk.
PARAMS: dict[str, Sample] = {
    "org_slug": Sample(Kind.TENANT, org),
    "project_id": Sample(Kind.TENANT, lambda w: w.project.pk),
    "zone_id": Sample(Kind.TENANT, lambda w: w.zone.pk),
    "asset_id": Sample(Kind.TENANT, lambda w: w.asset.pk),
    "component_id": Sample(Kind.TENANT, lambda w: w.component.pk),
    "flow_id": Sample(Kind.TENANT, lambda w: w.flow.pk),
    "threat_number": Sample(Kind.TENANT, lambda w: w.threat.number),
    "control_id": Sample(Kind.TENANT, lambda w: w.control.pk),
    "link_id": Sample(Kind.TENANT, lambda w: w.link.pk),
    "risk_number": Sample(Kind.TENANT, lambda w: w.risk.number),
    "scenario_id": Sample(Kind.TENANT, lambda w: w.scenario.pk),
    "acceptance_id": Sample(Kind.TENANT, lambda w: w.acceptance.pk),
    "report_id": Sample(Kind.TENANT, lambda w: w.report.pk),
    # The actor's own notification (one of theirs in the organisation, made by build_world).
    "notification_id": Sample(
        Kind.TENANT,
        lambda w: (
            Notification.objects.filter(recipient=w.actor, organisation=w.organisation).earliest("pk").pk
        ),
    ),
    # The comment build_world writes on the threat (the first of the organisation's).
    "comment_id": Sample(
        Kind.TENANT, lambda w: Comment.objects.filter(organisation=w.organisation).earliest("pk").pk
    ),
    "webhook_id": Sample(Kind.TENANT, lambda w: WebhookEndpoint.objects.get(organisation=w.organisation).pk),
}

SAMPLES: dict[str, dict[str, Sample]] = {
    # allauth: keys that name no tenant object.
    "account_confirm_email": {"key": Sample(Kind.PUBLIC, lambda w: "not-a-real-key")},
    "account_reset_password_from_key": {
        "uidb36": Sample(Kind.PUBLIC, lambda w: "1"),
        "key": Sample(Kind.PUBLIC, lambda w: "not-a-real-key"),
    },
    # Personal and capability routes.
    "token_revoke": {"token_id": Sample(Kind.PERSONAL, lambda w: w.actor_token.pk)},
    "invitation_accept": {"token": Sample(Kind.CAPABILITY, lambda w: w.invitation.token)},
    # Organisation pages.
    "organisation_dashboard": {"org_slug": Sample(Kind.TENANT, org)},
    "organisation_settings": {"org_slug": Sample(Kind.TENANT, org)},
    "member_list": {"org_slug": Sample(Kind.TENANT, org)},
    "member_invite": {"org_slug": Sample(Kind.TENANT, org)},
    "member_update": {
        "org_slug": Sample(Kind.TENANT, org),
        "membership_id": Sample(Kind.TENANT, lambda w: w.member.pk),
    },
    "member_remove": {
        "org_slug": Sample(Kind.TENANT, org),
        "membership_id": Sample(Kind.TENANT, lambda w: w.member.pk),
    },
    "invitation_revoke": {
        "org_slug": Sample(Kind.TENANT, org),
        "invitation_id": Sample(Kind.TENANT, lambda w: w.invitation.pk),
    },
    "team_list": {"org_slug": Sample(Kind.TENANT, org)},
    "team_create": {"org_slug": Sample(Kind.TENANT, org)},
    "team_detail": {
        "org_slug": Sample(Kind.TENANT, org),
        "team_slug": Sample(Kind.TENANT, lambda w: w.team.slug),
    },
    "team_delete": {
        "org_slug": Sample(Kind.TENANT, org),
        "team_slug": Sample(Kind.TENANT, lambda w: w.team.slug),
    },
    # The API.
    "api_organisation_detail": {"org_slug": Sample(Kind.TENANT, org)},
    "api_team_list": {"org_slug": Sample(Kind.TENANT, org)},
    "api_team_detail": {
        "org_slug": Sample(Kind.TENANT, org),
        "team_slug": Sample(Kind.TENANT, lambda w: w.team.slug),
    },
    "api_membership_list": {"org_slug": Sample(Kind.TENANT, org)},
    "api_membership_detail": {
        "org_slug": Sample(Kind.TENANT, org),
        "membership_id": Sample(Kind.TENANT, lambda w: w.member.pk),
    },
    "api_invitation_list": {"org_slug": Sample(Kind.TENANT, org)},
    "api_invitation_detail": {
        "org_slug": Sample(Kind.TENANT, org),
        "invitation_id": Sample(Kind.TENANT, lambda w: w.invitation.pk),
    },
    "api_token_detail": {"token_id": Sample(Kind.PERSONAL, lambda w: w.actor_token.pk)},
}


def sample(route: str, param: str) -> Sample | None:
    return SAMPLES.get(route, {}).get(param) or PARAMS.get(param)


def references(w: World) -> dict[str, object]:
    """Every body field or filter that can name another object, filled with this world's values."""
    return {
        "organisation": w.organisation.slug,
        "team": w.team.pk,
        "teams": [w.team.pk],
        "team_slug": w.team.slug,
        "membership": w.member.pk,
        "user": w.member.user_id,
        "owner": w.actor.pk,
        "invitation": w.invitation.pk,
        "project": w.project.pk,
        "zone": w.zone.pk,
        "parent": w.zone.pk,
        "asset": w.asset.pk,
        "assets": [w.asset.pk],
        "impacted_assets": [w.asset.pk],
        "component": w.component.pk,
        "source": w.component.pk,
        "destination": w.component.pk,
        "target_components": [w.component.pk],
        "flow": w.flow.pk,
        "target_flows": [w.flow.pk],
        "threat": w.threat.number,
        "threats": [w.threat.number],
        "control": w.control.pk,
    }


# Writes whose body can name other objects, with a body that is valid for A but for B's references.
# Each must be refused (400 or 404) and change nothing. Every route that accepts a write must be listed
# here or in WRITES_WITHOUT_REFERENCES, so a new write route cannot slip past the replay.
type BodyFn = Callable[[World, World], dict[str, object]]

WRITES_WITH_REFERENCES: dict[str, BodyFn] = {
    # The review queue names threats of any project by id: B's must not be decided.
    "review_queue_decide": lambda a, b: {
        "threats": [f"{b.threat.pk}:{b.threat.version}"],
        "decision": "confirmed",
    },
    "report_list": lambda a, b: {"kind": "project", "project": b.project.pk, "paper": "a4"},
    "api_report_list": lambda a, b: {"kind": "project", "project": b.project.pk, "paper": "a4"},
    "report_schedule": lambda a, b: {"active": "on", "paper": "a4", "recipients": [a.actor.pk, b.actor.pk]},
    "member_invite": lambda a, b: {"email": "new@alpha.test", "role": Role.ENGINEER, "teams": [b.team.pk]},
    "member_update": lambda a, b: {"role": Role.ENGINEER, "teams": [a.team.pk, b.team.pk]},
    "api_membership_detail": lambda a, b: {"role": Role.ENGINEER, "teams": [a.team.pk, b.team.pk]},
    "api_invitation_list": lambda a, b: {
        "email": "new@alpha.test",
        "role": Role.ENGINEER,
        "teams": [b.team.pk],
    },
    # Model imports: B's team to import into, or B's project to replace.
    "model_import": lambda a, b: {"format": "auto", "team": b.team.pk, "replace": b.project.pk},
    "model_import_commit": lambda a, b: {
        "token": "x",
        "format": "auto",
        "team": b.team.pk,
        "replace": b.project.pk,
    },
    "api_model_import": lambda a, b: {
        "organisation": a.organisation.slug,
        "team": b.team.slug,
        "replace": b.project.pk,
    },
}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {
    "project_review_submit": "a note only; the project is the URL's",
    "project_review_decide": "a decision, a comment and the digest seen; the project is the URL's",
    "project_review_withdraw": "a note only; the project is the URL's",
    "account_login": "email and password only",
    "account_logout": "no body",
    "account_signup": "sign-up is closed",
    "account_reauthenticate": "a password only",
    "account_email": "the user's own email addresses",
    "account_change_password": "passwords only",
    "account_set_password": "passwords only",
    "account_reset_password": "an email address only",
    "account_confirm_login_code": "a code only",
    "account_confirm_email": "no body",
    "account_reset_password_from_key": "passwords only",
    "token_create": "a name only",
    "project_comments": "a comment's text; its @mentions are looked up among the organisation's members only",
    "threat_comments": "a comment's text; its @mentions are looked up among the organisation's members only",
    "control_comments": "a comment's text; its @mentions are looked up among the organisation's members only",
    "risk_comments": "a comment's text; its @mentions are looked up among the organisation's members only",
    "comment_edit": "a comment's text and a version",
    "comment_delete": "a version only",
    "token_revoke": "no body",
    "invitation_accept": "name and password only",
    "organisation_settings": "a name only",
    "notification_read": "no body: the notification is the member's own, named in the URL",
    "notification_read_all": "no body: the member's own notifications",
    "notification_preferences": "an e-mail mode and kinds of notification; it names no object",
    "organisation_restore": "a backup file, a name and a slug: it makes a new organisation, naming none of this one's",
    "member_remove": "no body",
    "invitation_revoke": "no body",
    "team_create": "a name only",
    "team_detail": "a name only",
    "team_delete": "no body",
    "api_organisation_detail": "a name only",
    "api_team_list": "a name only",
    "api_team_detail": "a name only",
    "api_invitation_detail": "no body",
    "api_token_list": "a name only",
    "api_token_detail": "no body",
    "api_risk_calculator": "a scenario of numbers and level names; it names no object and writes nothing",
    "register_import": "a file; owners in it are e-mails, read only among the member's organisation",
    "register_import_columns": "an upload's token, bound to the member's membership, and column numbers",
    "register_import_preview": "an upload's token, bound to the member's membership, and column numbers",
    "register_import_commit": "an upload's token, bound to the member's membership, column and row numbers",
    "webhook_create": "an address, a description and event names: it names no object",
    "webhook_detail": "an address, a description and event names: it names no object",
    "webhook_test": "no body",
    "webhook_reenable": "no body",
    "webhook_secret": "no body",
    "webhook_delete": "no body",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def _params(pattern: URLPattern | URLResolver) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def all_routes() -> list[Route]:
    def walk(resolver: URLResolver, prefix: str, params: list[str]) -> Iterator[Route]:
        for pattern in resolver.url_patterns:
            here = [*params, *_params(pattern)]
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, prefix + str(pattern.pattern), here)
            else:
                yield Route(pattern.name or "", prefix + str(pattern.pattern), tuple(here))

    return list(walk(get_resolver(), "", []))


# How each model's rows reach their organisation, for the before/after snapshot of B's data. Every model of
# our apps must be listed, so a new model cannot escape the check.
OWNERSHIP: dict[type[Model], str] = {
    Organisation: "pk",
    Team: "organisation",
    Membership: "organisation",
    Invitation: "organisation",
    User: "memberships__organisation",
    ApiToken: "user__memberships__organisation",
    Project: "organisation",
    TrustZone: "project__organisation",
    Asset: "project__organisation",
    Component: "project__organisation",
    DataFlow: "project__organisation",
    Threat: "project__organisation",
    Control: "project__organisation",
    ThreatControl: "control__project__organisation",
    ComponentAsset: "component__project__organisation",
    FlowAsset: "flow__project__organisation",
    ThreatAsset: "threat__project__organisation",
    ThreatComponent: "threat__project__organisation",
    ThreatFlow: "threat__project__organisation",
    ScoringSettings: "organisation",
    BusinessRisk: "organisation",
    Scenario: "risk__organisation",
    RiskAcceptance: "risk__organisation",
    RiskResult: "risk__organisation",
    ScenarioResult: "risk__organisation",
    PortfolioResult: "organisation",
    RiskSnapshot: "organisation",
    Report: "organisation",
    ReportSchedule: "organisation",
    ModelReview: "project__organisation",
    ThreatReview: "threat__project__organisation",
    Notification: "organisation",
    NotificationPreference: "membership__organisation",
    Comment: "organisation",
    WebhookEndpoint: "organisation",
    WebhookDelivery: "endpoint__organisation",
}
# The history tables the triggers write: each event row keeps the columns of the row it records.
OWNERSHIP |= {
    model.pgh_event_model: path
    for model, path in list(OWNERSHIP.items())
    if hasattr(model, "pgh_event_model")
}
OUR_APPS = ("projects", "risks", "reports")


def snapshot(organisation: Organisation) -> dict[str, list[dict[str, object]]]:
    """Every row that belongs to the organisation, with every field, in a stable order."""
    rows: dict[str, list[dict[str, object]]] = {}
    for model, path in OWNERSHIP.items():
        queryset = model._default_manager.filter(**{path: organisation.pk}).distinct().order_by("pk")
        key = model._meta.pk.attname
        rows[model._meta.label] = [{**row, **_many_to_many(model, row[key])} for row in queryset.values()]
    return rows


def _many_to_many(model: type[Model], pk: object) -> dict[str, list[object]]:
    if not model._meta.many_to_many:
        return {}
    instance = model._default_manager.get(pk=pk)
    return {
        field.name: sorted(getattr(instance, field.name).values_list("pk", flat=True))
        for field in model._meta.many_to_many
    }

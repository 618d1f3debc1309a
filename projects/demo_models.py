"""Realistic demo threat models for `seed_demo`: what a team would have written after a first workshop.

Written through the services, as a security lead of the organisation, so the history says who made them.
"""

import datetime
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

from projects import workspace_services as services
from projects.models import (
    AssetKind,
    ComponentKind,
    ControlKind,
    ControlStatus,
    Criticality,
    DataClassification,
    Membership,
    ProjectStatus,
    Rating,
    Team,
    ThreatStatus,
    TrustLevel,
    User,
)
from projects.threat_library import Target, applicable


@dataclass(frozen=True)
class DemoThreat:
    source: str
    prerequisites: str
    action: str
    impact: str
    goals: tuple[str, ...]
    assets: tuple[str, ...]
    stride: tuple[str, ...]
    targets: tuple[str, ...]  # component names, or flow names
    status: str = ThreatStatus.IDENTIFIED
    reason: str = ""
    # How often: a level of the organisation's scale, or events a year as (fewest, most likely, most).
    likelihood: str | tuple[float, float, float] = ""


@dataclass(frozen=True)
class DemoControl:
    title: str
    kind: str
    status: str
    cost_per_year: int | None
    effort_days: int | None
    threats: tuple[tuple[int, int], ...]  # (index into the project's threats, effectiveness %)
    ticket: str = ""


@dataclass(frozen=True)
class DemoProject:
    organisation: str
    team: str
    name: str
    description: str
    criticality: str
    classification: str
    zones: tuple[tuple[str, int], ...]
    assets: tuple[tuple[str, str, str, int, int, int], ...]  # name, kind, classification, C, I, A
    components: tuple[tuple[str, str, str, str], ...]  # name, kind, zone, technology
    flows: tuple[tuple[str, str, str, str, bool, bool], ...]  # name, source, destination, protocol, enc, auth
    threats: tuple[DemoThreat, ...]
    controls: tuple[DemoControl, ...]
    library_targets: tuple[str, ...] = field(default=())  # components that get two library threats each


CONFIDENTIALITY, INTEGRITY, AVAILABILITY = "confidentiality", "integrity", "availability"
AUTHENTICITY, NON_REPUDIATION = "authenticity", "non_repudiation"

PROJECTS = (
    DemoProject(
        organisation="acme-payments",
        team="Payments",
        name="Checkout API",
        description="Takes card payments for the web shop and the mobile app; tokenises cards through the vault "
        "and captures payments with the card processor.",
        criticality=Criticality.CRITICAL,
        classification=DataClassification.RESTRICTED,
        zones=(
            ("Internet", TrustLevel.UNTRUSTED),
            ("DMZ", TrustLevel.LOW),
            ("Payments core", TrustLevel.HIGH),
        ),
        assets=(
            (
                "Card data",
                AssetKind.DATA,
                DataClassification.RESTRICTED,
                Rating.CRITICAL,
                Rating.HIGH,
                Rating.MEDIUM,
            ),
            (
                "Customer PII",
                AssetKind.DATA,
                DataClassification.CONFIDENTIAL,
                Rating.HIGH,
                Rating.MEDIUM,
                Rating.LOW,
            ),
            (
                "Order ledger",
                AssetKind.DATA,
                DataClassification.CONFIDENTIAL,
                Rating.MEDIUM,
                Rating.CRITICAL,
                Rating.HIGH,
            ),
            (
                "Processor API key",
                AssetKind.CREDENTIAL,
                DataClassification.RESTRICTED,
                Rating.CRITICAL,
                Rating.HIGH,
                Rating.MEDIUM,
            ),
            (
                "Checkout service",
                AssetKind.SERVICE,
                DataClassification.INTERNAL,
                Rating.LOW,
                Rating.HIGH,
                Rating.CRITICAL,
            ),
        ),
        components=(
            ("Customer browser", ComponentKind.ACTOR, "Internet", "Web browser"),
            ("API gateway", ComponentKind.PROCESS, "DMZ", "Kong on Kubernetes"),
            ("Checkout service", ComponentKind.PROCESS, "Payments core", "Python, Django REST"),
            ("Payments database", ComponentKind.DATA_STORE, "Payments core", "PostgreSQL 16"),
            ("Card vault", ComponentKind.DATA_STORE, "Payments core", "HashiCorp Vault transit"),
            ("Card processor", ComponentKind.EXTERNAL_SERVICE, "", "Processor REST API over HTTPS"),
        ),
        flows=(
            ("Place order", "Customer browser", "API gateway", "HTTPS", True, True),
            ("Forward checkout", "API gateway", "Checkout service", "HTTP/2 mTLS", True, True),
            ("Store order", "Checkout service", "Payments database", "PostgreSQL wire", False, True),
            ("Tokenise card", "Checkout service", "Card vault", "HTTPS", True, True),
            ("Capture payment", "Checkout service", "Card processor", "HTTPS", True, True),
            ("Payment webhook", "Card processor", "API gateway", "HTTPS", True, False),
        ),
        threats=(
            DemoThreat(
                "external attacker",
                "who can reach the webhook endpoint",
                "forge payment-succeeded webhooks",
                "orders shipped without payment",
                (INTEGRITY, AUTHENTICITY),
                ("Order ledger",),
                ("S", "T"),
                ("Payment webhook",),
                ThreatStatus.CONFIRMED,
                likelihood="moderate",
            ),
            DemoThreat(
                "external attacker",
                "with a list of stolen card numbers",
                "test cards in bulk through checkout",
                "chargebacks and processor penalties",
                (INTEGRITY,),
                ("Card data",),
                ("S",),
                ("API gateway", "Checkout service"),
                likelihood=(4, 12, 40),
            ),
            DemoThreat(
                "malicious insider",
                "with read access to the payments database",
                "export customer records",
                "a reportable data breach",
                (CONFIDENTIALITY,),
                ("Customer PII",),
                ("I",),
                ("Payments database",),
                ThreatStatus.IN_REVIEW,
                likelihood="low",
            ),
            DemoThreat(
                "external attacker",
                "who compromises a build dependency",
                "read the processor API key from the service environment",
                "fraudulent refunds issued in our name",
                (CONFIDENTIALITY, INTEGRITY),
                ("Processor API key",),
                ("I", "E"),
                ("Checkout service",),
                likelihood=(0.2, 0.6, 2),
            ),
            DemoThreat(
                "botnet",
                "",
                "flood the checkout endpoint during a sale",
                "lost sales while checkout is down",
                (AVAILABILITY,),
                ("Checkout service",),
                ("D",),
                ("API gateway",),
                ThreatStatus.MITIGATED,
                likelihood=(2, 6, 15),
            ),
            DemoThreat(
                "customer",
                "who disputes a payment",
                "deny having placed an order",
                "refunds we cannot contest",
                (NON_REPUDIATION,),
                ("Order ledger",),
                ("R",),
                ("Checkout service",),
                ThreatStatus.ACCEPTED,
                likelihood="very_high",
            ),
            DemoThreat(
                "network attacker",
                "on the database network segment",
                "read order data in transit to the database",
                "disclosure of customer details",
                (CONFIDENTIALITY,),
                ("Customer PII",),
                ("I",),
                ("Store order",),
                likelihood="low",
            ),
            DemoThreat(
                "external attacker",
                "",
                "inject SQL through the discount-code field",
                "altered or leaked orders",
                (CONFIDENTIALITY, INTEGRITY),
                ("Order ledger", "Customer PII"),
                ("T", "I"),
                ("Checkout service",),
                ThreatStatus.REJECTED,
                "Discount codes are looked up through the ORM with "
                "bound parameters; covered by the SAST rule set.",
            ),
        ),
        controls=(
            DemoControl(
                "Verify webhook signatures and timestamps",
                ControlKind.PREVENTIVE,
                ControlStatus.IMPLEMENTED,
                None,
                3,
                ((0, 95),),
                "https://tracker.example.com/PAY-112",
            ),
            DemoControl(
                "Velocity limits and CAPTCHA on repeated card failures",
                ControlKind.PREVENTIVE,
                ControlStatus.IN_PROGRESS,
                12000,
                8,
                ((1, 80), (4, 30)),
            ),
            DemoControl(
                "Database activity monitoring with alerts on bulk reads",
                ControlKind.DETECTIVE,
                ControlStatus.PLANNED,
                18000,
                10,
                ((2, 60),),
            ),
            DemoControl(
                "Move the processor key to the vault with short-lived leases",
                ControlKind.PREVENTIVE,
                ControlStatus.PROPOSED,
                4000,
                5,
                ((3, 85),),
            ),
            DemoControl(
                "CDN rate limiting and autoscaling for checkout",
                ControlKind.PREVENTIVE,
                ControlStatus.VERIFIED,
                24000,
                4,
                ((4, 90),),
            ),
            DemoControl(
                "TLS between services and the database",
                ControlKind.PREVENTIVE,
                ControlStatus.PROPOSED,
                None,
                3,
                ((6, 95),),
            ),
        ),
        library_targets=("Card vault",),
    ),
    DemoProject(
        organisation="acme-payments",
        team="Platform",
        name="Identity platform",
        description="Single sign-on for staff and customers: OpenID Connect provider, MFA and session service.",
        criticality=Criticality.HIGH,
        classification=DataClassification.CONFIDENTIAL,
        zones=(("Internet", TrustLevel.UNTRUSTED), ("Identity zone", TrustLevel.HIGH)),
        assets=(
            (
                "Password hashes",
                AssetKind.CREDENTIAL,
                DataClassification.RESTRICTED,
                Rating.CRITICAL,
                Rating.HIGH,
                Rating.MEDIUM,
            ),
            (
                "Signing keys",
                AssetKind.CREDENTIAL,
                DataClassification.RESTRICTED,
                Rating.CRITICAL,
                Rating.CRITICAL,
                Rating.HIGH,
            ),
            (
                "Sessions",
                AssetKind.DATA,
                DataClassification.CONFIDENTIAL,
                Rating.HIGH,
                Rating.HIGH,
                Rating.HIGH,
            ),
        ),
        components=(
            ("User", ComponentKind.ACTOR, "Internet", "Browser or mobile app"),
            ("OIDC provider", ComponentKind.PROCESS, "Identity zone", "Keycloak"),
            ("User directory", ComponentKind.DATA_STORE, "Identity zone", "PostgreSQL"),
            ("SMS gateway", ComponentKind.EXTERNAL_SERVICE, "", "SMS provider API"),
        ),
        flows=(
            ("Sign in", "User", "OIDC provider", "HTTPS", True, False),
            ("Look up user", "OIDC provider", "User directory", "PostgreSQL wire", True, True),
            ("Send one-time code", "OIDC provider", "SMS gateway", "HTTPS", True, True),
        ),
        threats=(
            DemoThreat(
                "external attacker",
                "with leaked passwords from other sites",
                "take over accounts by credential stuffing",
                "fraud in customers' names",
                (AUTHENTICITY, CONFIDENTIALITY),
                ("Sessions",),
                ("S",),
                ("Sign in",),
                ThreatStatus.CONFIRMED,
                likelihood=(2, 5, 20),
            ),
            DemoThreat(
                "external attacker",
                "who ports a victim's phone number",
                "intercept SMS one-time codes",
                "bypass of multi-factor authentication",
                (AUTHENTICITY,),
                ("Sessions",),
                ("S",),
                ("SMS gateway",),
                likelihood="low",
            ),
            DemoThreat(
                "malicious insider",
                "with access to the key store",
                "copy the token signing keys",
                "forged tokens accepted by every application",
                (INTEGRITY, AUTHENTICITY),
                ("Signing keys",),
                ("T", "E"),
                ("OIDC provider",),
                likelihood="very_low",
            ),
        ),
        controls=(
            DemoControl(
                "Breached-password check and login throttling",
                ControlKind.PREVENTIVE,
                ControlStatus.IMPLEMENTED,
                6000,
                6,
                ((0, 70),),
            ),
            DemoControl(
                "Offer passkeys and app-based MFA instead of SMS",
                ControlKind.PREVENTIVE,
                ControlStatus.PLANNED,
                15000,
                20,
                ((0, 50), (1, 90)),
            ),
            DemoControl(
                "Keep signing keys in an HSM with dual control",
                ControlKind.PREVENTIVE,
                ControlStatus.PROPOSED,
                30000,
                15,
                ((2, 90),),
            ),
            DemoControl(
                "Alert on login failures by source and account",
                ControlKind.DETECTIVE,
                ControlStatus.IN_PROGRESS,
                8000,
                8,
                ((0, 40),),
            ),
            DemoControl(
                "Rotate token signing keys every 90 days",
                ControlKind.CORRECTIVE,
                ControlStatus.VERIFIED,
                2000,
                4,
                ((2, 60),),
            ),
        ),
        library_targets=("OIDC provider",),
    ),
    DemoProject(
        organisation="northwind-health",
        team="Patient Portal",
        name="Patient portal",
        description="Patients book appointments and read test results; clinicians publish results from the EHR.",
        criticality=Criticality.HIGH,
        classification=DataClassification.RESTRICTED,
        zones=(("Internet", TrustLevel.UNTRUSTED), ("Hospital network", TrustLevel.HIGH)),
        assets=(
            (
                "Test results",
                AssetKind.DATA,
                DataClassification.RESTRICTED,
                Rating.CRITICAL,
                Rating.CRITICAL,
                Rating.MEDIUM,
            ),
            (
                "Appointments",
                AssetKind.DATA,
                DataClassification.CONFIDENTIAL,
                Rating.MEDIUM,
                Rating.HIGH,
                Rating.HIGH,
            ),
        ),
        components=(
            ("Patient", ComponentKind.ACTOR, "Internet", "Web browser"),
            ("Portal web app", ComponentKind.PROCESS, "Hospital network", "Java, Spring Boot"),
            ("EHR", ComponentKind.EXTERNAL_SERVICE, "Hospital network", "HL7 FHIR API"),
        ),
        flows=(
            ("Read results", "Patient", "Portal web app", "HTTPS", True, True),
            ("Fetch results", "Portal web app", "EHR", "FHIR over HTTPS", True, True),
        ),
        threats=(
            DemoThreat(
                "signed-in patient",
                "who changes the record id in a request",
                "read another patient's results",
                "a breach of medical confidentiality",
                (CONFIDENTIALITY,),
                ("Test results",),
                ("I", "E"),
                ("Portal web app",),
                ThreatStatus.CONFIRMED,
                likelihood="low",
            ),
        ),
        controls=(
            DemoControl(
                "Object-level authorisation checks on every result request",
                ControlKind.PREVENTIVE,
                ControlStatus.IN_PROGRESS,
                None,
                5,
                ((0, 90),),
            ),
        ),
    ),
)


def seed_project(demo: DemoProject, lead: Membership) -> bool:
    """Create one demo project unless a project of that name exists. True when it was created."""
    organisation = lead.organisation
    if organisation.projects.filter(name=demo.name).exists():
        return False
    project = services.project_create(
        membership=lead,
        team=organisation.teams.get(name=demo.team),
        name=demo.name,
        description=demo.description,
        criticality=demo.criticality,
        data_classification=demo.classification,
        status=ProjectStatus.ACTIVE,
    )
    zones = {
        name: services.zone_create(membership=lead, project=project, name=name, trust_level=level)
        for name, level in demo.zones
    }
    assets = {
        name: services.asset_create(
            membership=lead,
            project=project,
            name=name,
            kind=kind,
            classification=classification,
            confidentiality=c,
            integrity=i,
            availability=a,
        )
        for name, kind, classification, c, i, a in demo.assets
    }
    held = _assets_held(demo)
    components = {
        name: services.component_create(
            membership=lead,
            project=project,
            name=name,
            kind=kind,
            zone=zones.get(zone),
            technology=technology,
            assets=[assets[asset] for asset in held.get(name, ())],
        )
        for name, kind, zone, technology in demo.components
    }
    flows = {
        name: services.flow_create(
            membership=lead,
            project=project,
            name=name,
            source=components[source],
            destination=components[destination],
            protocol=protocol,
            is_encrypted=encrypted,
            is_authenticated=authenticated,
            assets=[assets[asset] for asset in held.get(name, ())],
        )
        for name, source, destination, protocol, encrypted, authenticated in demo.flows
    }
    owners = cycle(_people(project.team, lead))
    threats = [
        services.threat_create(
            membership=lead,
            project=project,
            threat_source=t.source,
            prerequisites=t.prerequisites,
            threat_action=t.action,
            threat_impact=t.impact,
            impacted_goals=list(t.goals),
            stride=list(t.stride),
            status=t.status,
            status_reason=t.reason,
            owner=next(owners),
            **_likelihood_fields(t),
            links=services.ThreatLinks(
                impacted_assets=[assets[name] for name in t.assets],
                target_components=[components[name] for name in t.targets if name in components],
                target_flows=[flows[name] for name in t.targets if name in flows],
            ),
        )
        for t in demo.threats
    ]
    today = datetime.date.today()
    for n, c in enumerate(demo.controls, start=1):
        still_to_do = c.status in {ControlStatus.PROPOSED, ControlStatus.PLANNED, ControlStatus.IN_PROGRESS}
        control = services.control_create(
            membership=lead,
            project=project,
            title=c.title,
            kind=c.kind,
            status=c.status,
            cost_per_year=c.cost_per_year,
            effort_days=c.effort_days,
            ticket_url=c.ticket or _ticket(demo, n),
            owner=next(owners),
            # Work still to do is due over the next quarter; the first one slipped, so lists show overdue too.
            due_on=today + datetime.timedelta(days=-7 if n == 1 else 14 * n) if still_to_do else None,
        )
        for index, effectiveness in c.threats:
            services.control_link(
                membership=lead, control=control, threat=threats[index], effectiveness=effectiveness
            )
    for name in demo.library_targets:
        component = components[name]
        keys = [
            item.key for item in applicable(Target(kind=component.kind, technology=component.technology))
        ][:2]
        services.library_threats_create(membership=lead, project=project, keys=keys, component=component)
    return True


def seed_likelihoods(demo: DemoProject, lead: Membership) -> int:
    """Give the demo threats that have none their likelihood (projects seeded before threats had one).
    Returns how many it gave."""
    project = lead.organisation.projects.get(name=demo.name)
    given = 0
    for t in demo.threats:
        fields = _likelihood_fields(t)
        if not fields:
            continue
        threat = project.threats.filter(
            threat_action=t.action, likelihood="", frequency_mode__isnull=True
        ).first()
        if threat is not None:
            services.threat_update(membership=lead, threat=threat, version=threat.version, **fields)
            given += 1
    return given


def _likelihood_fields(t: DemoThreat) -> dict[str, Any]:
    if isinstance(t.likelihood, tuple):
        low, mode, high = t.likelihood
        return {"frequency_min": low, "frequency_mode": mode, "frequency_max": high}
    return {"likelihood": t.likelihood} if t.likelihood else {}


def _people(team: Team, lead: Membership) -> list[User]:
    """Who owns the demo's threats and controls: the owning team's engineers by turns, and the lead."""
    engineers = User.objects.filter(memberships__teams=team).order_by("email").distinct()
    return [*engineers, lead.user]


def _assets_held(demo: DemoProject) -> dict[str, set[str]]:
    """Components and flows hold or carry the assets the threats against them put at risk."""
    held: dict[str, set[str]] = {}
    for threat in demo.threats:
        for target in threat.targets:
            held.setdefault(target, set()).update(threat.assets)
    return held


def _ticket(demo: DemoProject, n: int) -> str:
    key = "".join(word[0] for word in demo.team.split()).upper()[:3] or "SEC"
    return f"https://tracker.example.com/browse/{key}-{100 + 17 * n}"

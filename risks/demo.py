"""The demo business-risk register for `seed_demo`: what a security lead would have written with the business
after the first threat-modelling workshops, linked to the demo projects' threats.

Written through the services, as the organisation's security lead (or owner), so the history says who did
what. Safe to run again: settings are saved once, risks are found by title, links and acceptances are only
added when missing. Results are computed at the end, in this process, so the pages have figures at once.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from projects.models import Membership, Organisation, Threat, User
from projects.roles import Role
from risks import services
from risks.models import BusinessRisk, Category, RiskAcceptance, ScoringSettings
from risks.results import recompute

FINANCIAL, REGULATORY, REPUTATIONAL = Category.FINANCIAL, Category.REGULATORY, Category.REPUTATIONAL
OPERATIONAL, SAFETY = Category.OPERATIONAL, Category.SAFETY


@dataclass(frozen=True)
class DemoRisk:
    title: str
    description: str
    categories: tuple[str, ...]
    owner: str  # a member's email
    impact: str = ""  # a level, and/or
    loss: tuple[int, int] | None = None  # a loss per event, 5th to 95th percentile
    # (project name, threat action): the threats that can cause it
    scenarios: tuple[tuple[str, str], ...] = field(default=())
    treatment_detail: str = ""


@dataclass(frozen=True)
class DemoRegister:
    organisation: str
    settings: dict[str, object]
    risks: tuple[DemoRisk, ...]
    # (risk title, rationale, days to run, "approved" | "expired" | "requested")
    acceptances: tuple[tuple[str, str, int, str], ...] = ()


CHECKOUT, IDENTITY, PORTAL = "Checkout API", "Identity platform", "Patient portal"
WEBHOOKS = (CHECKOUT, "forge payment-succeeded webhooks")
CARD_TESTING = (CHECKOUT, "test cards in bulk through checkout")
EXPORT = (CHECKOUT, "export customer records")
PROCESSOR_KEY = (CHECKOUT, "read the processor API key from the service environment")
FLOOD = (CHECKOUT, "flood the checkout endpoint during a sale")
REPUDIATION = (CHECKOUT, "deny having placed an order")
IN_TRANSIT = (CHECKOUT, "read order data in transit to the database")
STUFFING = (IDENTITY, "take over accounts by credential stuffing")
SMS = (IDENTITY, "intercept SMS one-time codes")
SIGNING_KEYS = (IDENTITY, "copy the token signing keys")
OTHER_PATIENT = (PORTAL, "read another patient's results")

# Acme's own scales, narrower than the decade defaults: a payments company of its size feels a loss of
# 500,000 in its year's results, and a threat that comes twice a year as frequent.
ACME_LIKELIHOOD = [
    {"name": "Rare", "description": "Less than once in ten years.", "low": 0, "high": 0.1},
    {"name": "Unlikely", "description": "Once in two to ten years.", "low": 0.1, "high": 0.5},
    {"name": "Possible", "description": "Once or twice a year.", "low": 0.5, "high": 2},
    {"name": "Likely", "description": "A few times a year, up to monthly.", "low": 2, "high": 10},
    {"name": "Almost certain", "description": "More than monthly.", "low": 10, "high": None},
]
ACME_IMPACT = [
    {"name": "Negligible", "description": "Absorbed in a team's budget.", "low": 0, "high": 10_000},
    {"name": "Minor", "description": "A line in a department's budget.", "low": 10_000, "high": 100_000},
    {"name": "Moderate", "description": "The quarter's numbers move.", "low": 100_000, "high": 500_000},
    {
        "name": "Major",
        "description": "The year's results are affected; the board is told.",
        "low": 500_000,
        "high": 2_000_000,
    },
    {
        "name": "Severe",
        "description": "Regulators, the press or the acquirer step in; the year's plan is at risk.",
        "low": 2_000_000,
        "high": None,
    },
]

REGISTERS = (
    DemoRegister(
        organisation="acme-payments",
        settings={
            "currency": "EUR",
            "likelihood_scale": ACME_LIKELIHOOD,
            "impact_scale": ACME_IMPACT,
            "appetite_level": "moderate",
            "tolerance_amount": Decimal(2_000_000),
            "tolerance_probability": Decimal(10),
        },
        risks=(
            DemoRisk(
                "Card data breach",
                "Card numbers or the means to read them leave our control: forensic investigation, card "
                "reissue costs passed on by the banks, and a PCI DSS reassessment.",
                (FINANCIAL, REGULATORY, REPUTATIONAL),
                "owner@demo.test",
                loss=(250_000, 4_000_000),
                scenarios=(EXPORT, PROCESSOR_KEY, IN_TRANSIT),
            ),
            DemoRisk(
                "PCI DSS non-compliance penalties",
                "The acquirer fines us monthly until findings from an assessment or a breach are fixed.",
                (REGULATORY, FINANCIAL),
                "viewer@demo.test",
                loss=(1_000_000, 6_000_000),
                scenarios=(PROCESSOR_KEY, IN_TRANSIT),
            ),
            DemoRisk(
                "Orders shipped without payment",
                "Forged payment confirmations release goods we are never paid for.",
                (FINANCIAL,),
                "lead@demo.test",
                loss=(20_000, 400_000),
                scenarios=(WEBHOOKS,),
            ),
            DemoRisk(
                "Card-testing fees and processor penalties",
                "Fraudsters test stolen cards through our checkout: authorisation fees, chargebacks and a "
                "warning from the processor.",
                (FINANCIAL, OPERATIONAL),
                "engineer@demo.test",
                loss=(5_000, 60_000),
                scenarios=(CARD_TESTING,),
            ),
            DemoRisk(
                "Checkout down during peak sales",
                "Customers cannot pay during a campaign: lost sales, and marketing spend wasted.",
                (OPERATIONAL, FINANCIAL),
                "platform@demo.test",
                loss=(50_000, 900_000),
                scenarios=(FLOOD,),
            ),
            DemoRisk(
                "Chargebacks on disputed orders",
                "Customers deny orders they placed and the bank sides with them.",
                (FINANCIAL,),
                "owner@demo.test",
                impact="very_low",
                scenarios=(REPUDIATION,),
            ),
            DemoRisk(
                "Customer account takeover",
                "Attackers use customers' accounts and stored cards: refunds, support time and complaints.",
                (FINANCIAL, REPUTATIONAL),
                "platform@demo.test",
                loss=(20_000, 400_000),
                scenarios=(STUFFING, SMS),
            ),
            DemoRisk(
                "Forged sign-in tokens for every service",
                "With the signing keys, anyone can sign in as anyone, staff included: a company-wide incident.",
                (REPUTATIONAL, REGULATORY, OPERATIONAL),
                "lead@demo.test",
                impact="very_high",
                scenarios=(SIGNING_KEYS,),
            ),
            DemoRisk(
                "GDPR fine for exposed personal data",
                "A supervisory authority fines us for customer data we failed to protect.",
                (REGULATORY, FINANCIAL),
                "owner@demo.test",
                loss=(500_000, 10_000_000),
                scenarios=(EXPORT, IN_TRANSIT),
            ),
            DemoRisk(
                "Loss of customer trust after a public incident",
                "An incident in the press: customers leave and new ones are harder to win.",
                (REPUTATIONAL,),
                "viewer@demo.test",
                impact="high",
                scenarios=(EXPORT, SIGNING_KEYS),
            ),
            DemoRisk(
                "Merchant account suspended by the acquirer",
                "Fraud or chargeback ratios over the acquirer's thresholds: payments stop until we move.",
                (OPERATIONAL, FINANCIAL),
                "owner@demo.test",
                loss=(1_000_000, 8_000_000),
                scenarios=(PROCESSOR_KEY, WEBHOOKS),
            ),
            DemoRisk(
                "Payroll data disclosed",
                "Staff salaries and bank details reach the wrong people. No threat modelled yet: HR's systems "
                "are next quarter's workshop.",
                (REGULATORY, REPUTATIONAL),
                "owner@demo.test",
                impact="moderate",
            ),
        ),
        acceptances=(
            (
                "Chargebacks on disputed orders",
                "Chargebacks stay below the acquirer's threshold and cost less than contesting them; "
                "revisit when the dispute tooling is replaced.",
                180,
                "approved",
            ),
            (
                "Merchant account suspended by the acquirer",
                "Accepted for the quarter while velocity limits were built; the acquirer agreed a grace period.",
                90,
                "expired",
            ),
            (
                "PCI DSS non-compliance penalties",
                "The database TLS migration is scheduled for next quarter; the assessor accepts a documented "
                "plan until then.",
                120,
                "requested",
            ),
        ),
    ),
    DemoRegister(
        organisation="northwind-health",
        settings={"currency": "GBP", "appetite_level": "low"},
        risks=(
            DemoRisk(
                "Patient results disclosed to another patient",
                "A patient reads someone else's results: a reportable breach and, if acted on, harm to care.",
                (REGULATORY, SAFETY, REPUTATIONAL),
                "owner@demo.test",
                impact="high",
                scenarios=(OTHER_PATIENT,),
            ),
        ),
    ),
)


def seed_register(organisation: Organisation) -> bool:
    """Seed the organisation's demo register, if it has one, and compute its results. True when seeded."""
    register = next((r for r in REGISTERS if r.organisation == organisation.slug), None)
    author = (
        Membership.objects.filter(organisation=organisation, role__in=[Role.SECURITY_LEAD, Role.OWNER])
        .select_related("organisation", "user")
        .order_by("-role")  # "security_lead" before "owner"
        .first()
    )
    if register is None or author is None:
        return False
    if not ScoringSettings.objects.filter(organisation=organisation).exists():
        services.settings_update(membership=author, version=1, **register.settings)
    members = {m.user.email: m.user for m in organisation.memberships.select_related("user")}
    threats = {
        (threat.project.name, threat.threat_action): threat
        for threat in Threat.objects.filter(project__organisation=organisation).select_related("project")
    }
    for demo in register.risks:
        _seed_risk(author, demo, members, threats)
    for title, rationale, days, outcome in register.acceptances:
        risk = BusinessRisk.objects.get(organisation=organisation, title=title)
        if not risk.acceptances.exists() and risk.owner is not None:
            _seed_acceptance(author, risk, rationale, days, outcome)
    recompute(organisation.pk)
    return True


def _seed_risk(
    author: Membership, demo: DemoRisk, members: dict[str, User], threats: dict[tuple[str, str], Threat]
) -> None:
    risk = BusinessRisk.objects.filter(organisation=author.organisation, title=demo.title).first()
    if risk is None:
        low, high = demo.loss or (None, None)
        risk = services.risk_create(
            membership=author,
            title=demo.title,
            description=demo.description,
            categories=list(demo.categories),
            owner=members.get(demo.owner),
            impact=demo.impact,
            loss_low=Decimal(low) if low is not None else None,
            loss_high=Decimal(high) if high is not None else None,
            treatment_detail=demo.treatment_detail,
        )
    linked = set(risk.scenarios.values_list("threat_id", flat=True))
    for key in demo.scenarios:
        threat = threats.get(key)
        if threat is not None and threat.pk not in linked:
            services.scenario_create(membership=author, risk=risk, threat=threat)


def _seed_acceptance(author: Membership, risk: BusinessRisk, rationale: str, days: int, outcome: str) -> None:
    """An acceptance as the owner decided it. One that ran out is approved for `days` and then moved into the
    past (a new request must end after today), and the hourly expiry reopens its risk."""
    today = timezone.localdate()
    acceptance = services.acceptance_request(
        membership=author, risk=risk, rationale=rationale, expires_on=today + datetime.timedelta(days=days)
    )
    if outcome == "requested":
        return
    owner = Membership.objects.select_related("organisation", "user").get(
        organisation=risk.organisation, user=risk.owner
    )
    acceptance = services.acceptance_decide(
        membership=owner, acceptance=acceptance, version=acceptance.version, approve=True, note="Agreed."
    )
    if outcome == "expired":
        ran_out = today - datetime.timedelta(days=12)
        RiskAcceptance.objects.filter(pk=acceptance.pk).update(
            expires_on=ran_out,
            decided_at=timezone.now() - datetime.timedelta(days=days + 12),
        )
        services.acceptances_expire(today)

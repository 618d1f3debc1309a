from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from projects.management.commands.seed_demo import DEMO_PASSWORD
from projects.models import (
    Control,
    ControlStatus,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatControl,
    User,
)
from projects.roles import Role
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    Category,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    ScoringSettings,
)
from risks.selectors import portfolio_figures, stored_figures


def test_it_creates_a_member_of_every_role_and_can_run_twice(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Organisation.objects.count(), Team.objects.count(), Membership.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Organisation.objects.count(), Team.objects.count(), Membership.objects.count()) == counts
    roles = set(Membership.objects.filter(organisation__slug="acme-payments").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(email="owner@demo.test").check_password(DEMO_PASSWORD)


def test_it_seeds_realistic_projects_once(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    checkout = Project.objects.get(organisation__slug="acme-payments", name="Checkout API")
    assert checkout.components.count() >= 5
    assert checkout.flows.count() >= 5
    assert checkout.threats.count() >= 8
    assert checkout.threats.exclude(library_key="").exists()
    assert ThreatControl.objects.filter(control__project=checkout).count() >= 6
    assert Project.objects.filter(organisation__slug="northwind-health").exists()
    owners = set(checkout.threats.values_list("owner__email", flat=True))
    assert {"engineer@demo.test", "lead@demo.test"} <= owners  # work is shared out, not all on the lead
    open_controls = checkout.controls.exclude(status__in=["implemented", "verified"])
    assert open_controls.exists()
    assert not open_controls.filter(due_on=None).exists()
    assert not checkout.controls.filter(ticket_url="").exists()
    assert checkout.components.filter(assets__isnull=False).distinct().count() >= 3
    assert checkout.flows.filter(assets__isnull=False).exists()
    counts = (Project.objects.count(), Threat.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Project.objects.count(), Threat.objects.count()) == counts


def test_it_seeds_a_register_with_scenarios_acceptances_and_current_results(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    acme = Organisation.objects.get(slug="acme-payments")
    scoring = ScoringSettings.objects.get(organisation=acme)
    assert (scoring.currency, scoring.appetite_level) == ("EUR", "moderate")
    assert (scoring.tolerance_amount, scoring.tolerance_probability) == (Decimal(2_000_000), Decimal(10))

    risks = BusinessRisk.objects.filter(organisation=acme)
    assert risks.count() >= 10
    assert risks.filter(owner__email="viewer@demo.test").exists()
    assert risks.exclude(impact="").exists()
    assert risks.filter(loss_low__isnull=False).exists()
    assert set(Category.values) - {"safety"} <= {c for r in risks for c in r.categories}
    scenarios = Scenario.objects.filter(risk__organisation=acme)
    assert scenarios.values("threat__project").distinct().count() >= 2
    assert scenarios.count() >= 15

    threats = Threat.objects.filter(project__organisation=acme)
    assert threats.exclude(likelihood="").exists()
    assert threats.filter(frequency_mode__isnull=False).exists()
    statuses = Control.objects.filter(project__organisation=acme).values_list("status", flat=True)
    assert all(list(statuses).count(status) >= 2 for status in ControlStatus.values)

    today = timezone.localdate()
    acceptances = RiskAcceptance.objects.filter(risk__organisation=acme)
    in_force = [a for a in acceptances if a.in_force(today)]
    expired = [a for a in acceptances if a.expired(today)]
    assert len(in_force) == 1
    assert in_force[0].risk.status == RiskStatus.ACCEPTED
    assert len(expired) == 1
    assert expired[0].risk.status == RiskStatus.OPEN
    assert acceptances.filter(
        status=AcceptanceStatus.REQUESTED, risk__owner__email="viewer@demo.test"
    ).exists()

    figures = stored_figures(acme, risks.values_list("pk", flat=True))
    assert all(f is not None and not f.stale for f in figures.values())
    levels = {f.residual.level for f in figures.values() if f is not None}
    assert None in levels  # a risk with no scenario yet says it is not scored
    assert levels & {"high", "very_high"}  # some risks are above the moderate appetite
    assert levels & {"very_low", "low", "moderate"}  # and some within it
    portfolio = portfolio_figures(acme)
    assert portfolio is not None
    assert not portfolio.stale
    assert portfolio.residual.ale_mean > 0
    assert portfolio.residual.p_exceeding_tolerance is not None


def test_running_it_again_changes_no_register_and_upgrades_older_demos(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Threat.objects.filter(project__name="Checkout API").update(
        likelihood="", frequency_min=None, frequency_mode=None, frequency_max=None
    )
    counts = (
        BusinessRisk.objects.count(),
        Scenario.objects.count(),
        RiskAcceptance.objects.count(),
        ScoringSettings.objects.count(),
    )

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert (
        BusinessRisk.objects.count(),
        Scenario.objects.count(),
        RiskAcceptance.objects.count(),
        ScoringSettings.objects.count(),
    ) == counts
    checkout = Threat.objects.filter(project__name="Checkout API")
    assert checkout.exclude(likelihood="").exists()
    assert checkout.filter(frequency_mode__isnull=False).exists()
    acme = Organisation.objects.get(slug="acme-payments")
    assert not portfolio_figures(acme).stale  # type: ignore[union-attr]

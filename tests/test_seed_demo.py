from django.core.management import call_command

from projects.management.commands.seed_demo import DEMO_PASSWORD
from projects.models import Membership, Organisation, Project, Team, Threat, ThreatControl, User
from projects.roles import Role


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

from django.core.management import call_command

from projects.management.commands.seed_demo import DEMO_PASSWORD
from projects.models import Membership, Organisation, Team, User
from projects.roles import Role


def test_it_creates_a_member_of_every_role_and_can_run_twice(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Organisation.objects.count(), Team.objects.count(), Membership.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Organisation.objects.count(), Team.objects.count(), Membership.objects.count()) == counts
    roles = set(Membership.objects.filter(organisation__slug="acme-payments").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(email="owner@demo.test").check_password(DEMO_PASSWORD)

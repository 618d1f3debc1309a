from django.core.management.base import BaseCommand
from django.db import transaction

from projects.models import Membership, Organisation, Team, User
from projects.roles import Role

DEMO_PASSWORD = "demo-threats-2026"

ORGANISATIONS = [
    ("acme-payments", "Acme Payments", ["Payments", "Platform", "Mobile"]),
    ("northwind-health", "Northwind Health", ["Patient Portal"]),
]

# (email, name, organisation slug, role, teams)
PEOPLE = [
    ("owner@demo.test", "Olivia Owner", "acme-payments", Role.OWNER, []),
    ("lead@demo.test", "Sam Lead", "acme-payments", Role.SECURITY_LEAD, []),
    ("engineer@demo.test", "Erin Engineer", "acme-payments", Role.ENGINEER, ["Payments"]),
    ("platform@demo.test", "Pat Platform", "acme-payments", Role.ENGINEER, ["Platform", "Mobile"]),
    ("viewer@demo.test", "Victor Viewer", "acme-payments", Role.VIEWER, []),
    ("owner@demo.test", "Olivia Owner", "northwind-health", Role.OWNER, []),
    ("engineer@demo.test", "Erin Engineer", "northwind-health", Role.VIEWER, []),
]


class Command(BaseCommand):
    help = "Create the demo organisations, teams and people (one of every role). Safe to run again."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        organisations = {}
        for slug, name, team_names in ORGANISATIONS:
            organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name})
            organisations[slug] = organisation
            for team_name in team_names:
                Team.objects.get_or_create(
                    organisation=organisation,
                    name=team_name,
                    defaults={"slug": team_name.lower().replace(" ", "-")},
                )
        for email, name, slug, role, team_names in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
            membership, _ = Membership.objects.get_or_create(
                user=user, organisation=organisations[slug], defaults={"role": role}
            )
            membership.teams.add(*Team.objects.filter(organisation=organisations[slug], name__in=team_names))
        self.stdout.write(
            f"Demo ready. Sign in as owner@demo.test (or lead@, engineer@, platform@, viewer@) "
            f"with the password {DEMO_PASSWORD}"
        )

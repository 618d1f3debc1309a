from django.core.management.base import BaseCommand
from django.db import transaction

from projects.demo_models import PROJECTS, seed_likelihoods, seed_project
from projects.models import Membership, Organisation, Team, User
from projects.roles import Role
from risks.demo import seed_register

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
    help = (
        "Create the demo organisations, teams and people (one of every role), their threat models and business-"
        "risk registers, with results computed. Safe to run again."
    )

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
        created = 0
        for demo in PROJECTS:
            # Written as the organisation's security lead, or its owner where it has none.
            author = (
                Membership.objects.filter(
                    organisation__slug=demo.organisation, role__in=[Role.SECURITY_LEAD, Role.OWNER]
                )
                .select_related("organisation", "user")
                .order_by("-role")
                .first()
            )
            if author is None:
                continue
            if seed_project(demo, author):
                created += 1
            else:
                seed_likelihoods(demo, author)  # seeded before threats had a likelihood
        if created:
            self.stdout.write(f"Created {created} demo projects with their models, threats and controls.")
        registers = [organisation for organisation in organisations.values() if seed_register(organisation)]
        if registers:
            self.stdout.write(
                f"Business-risk registers ready, with results computed: {', '.join(o.name for o in registers)}."
            )
        self.stdout.write(
            f"Demo ready. Sign in as owner@demo.test (or lead@, engineer@, platform@, viewer@) "
            f"with the password {DEMO_PASSWORD}"
        )

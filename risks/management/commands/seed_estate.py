"""`manage.py seed_estate`: a large, realistic organisation for the dashboards and their benchmark.

By default 20 teams, 500 projects, 100 threats and 60 controls per project, 200 business risks (each threat
linked to one or two), members of every role and a year of daily snapshots. Rows are written with bulk inserts
(the history triggers still record them), not one service call per row, so the default size takes minutes;
the stored results are then computed once, as after any change (risks.results.recompute).

The data is drawn from a seeded random generator, so the same options give the same estate. Running it again
with the same organisation name does nothing. The snapshots before today are synthetic: today's figures (read
from the stored results) scaled by a trend that falls over the year, marked "synthetic" in their figures.
"""

import datetime
import math
import random
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from projects.models import (
    Control,
    ControlKind,
    ControlStatus,
    Criticality,
    DataClassification,
    Goal,
    LikelihoodLevel,
    Membership,
    Organisation,
    Project,
    ProjectStatus,
    Stride,
    Team,
    Threat,
    ThreatControl,
    ThreatStatus,
    User,
)
from projects.roles import Role
from risks import inputs
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    Category,
    RiskAcceptance,
    RiskSnapshot,
    RiskStatus,
    Scenario,
    Treatment,
)
from risks.results import recompute
from risks.scoring.levels import LEVELS
from risks.snapshots import take_snapshot

ESTATE_PASSWORD = "estate-threats-2026"
BATCH = 5_000

TEAM_NAMES = (
    "Payments", "Identity", "Platform", "Mobile", "Data", "Search", "Checkout", "Billing", "Messaging",
    "Analytics", "Onboarding", "Fraud", "Logistics", "Catalogue", "Support", "Marketing", "Infrastructure",
    "Partner APIs", "Reporting", "Compliance",
)  # fmt: skip
SYSTEMS = (
    "gateway", "ledger", "portal", "service", "worker", "api", "store", "scheduler", "console", "pipeline",
    "sync", "exporter", "bridge", "notifier", "index",
)  # fmt: skip
SOURCES = (
    "An external attacker", "A malicious insider", "A compromised partner", "An authenticated customer",
    "A careless administrator", "Automated bots", "A former employee",
)  # fmt: skip
ACTIONS = (
    "steals session tokens from", "injects SQL into", "replays requests against", "exfiltrates records from",
    "floods", "escalates privileges in", "tampers with messages to", "reads backups of",
    "forges webhooks sent to", "abuses the password reset of",
)  # fmt: skip
IMPACTS = (
    "exposing customer data", "moving money without approval", "taking the service offline",
    "corrupting the records", "hiding their tracks", "taking over accounts",
)  # fmt: skip
CONTROLS = (
    "Rotate credentials", "Web application firewall rule", "Rate limiting", "Multi-factor authentication",
    "Encrypt at rest", "Signed webhooks", "Audit logging", "Least-privilege roles", "Input validation",
    "Backup restore drill", "Dependency scanning", "Network segmentation",
)  # fmt: skip
CONSEQUENCES = (
    "Customer card data exposed", "Payments fraud", "Extended outage", "Regulatory fine",
    "Health records disclosed", "Ransomware on", "Account takeover at scale", "Data corrupted in",
    "Supplier breach through", "Insider misuse of",
)  # fmt: skip

# Weights, in the order of the choices, so the estate looks like one in use: most threats identified or
# confirmed, controls in every state, most risks mitigated.
THREAT_STATUSES = (
    (ThreatStatus.IDENTIFIED, 30), (ThreatStatus.IN_REVIEW, 10), (ThreatStatus.CONFIRMED, 25),
    (ThreatStatus.MITIGATED, 25), (ThreatStatus.ACCEPTED, 6), (ThreatStatus.REJECTED, 4),
)  # fmt: skip
CONTROL_STATUSES = (
    (ControlStatus.PROPOSED, 20), (ControlStatus.PLANNED, 20), (ControlStatus.IN_PROGRESS, 15),
    (ControlStatus.IMPLEMENTED, 30), (ControlStatus.VERIFIED, 15),
)  # fmt: skip
TREATMENTS = ((Treatment.MITIGATE, 75), (Treatment.ACCEPT, 12), (Treatment.TRANSFER, 8), (Treatment.AVOID, 5))
# Events a year, per likelihood level, as the default scale bands them.
FREQUENCIES = {
    LikelihoodLevel.VERY_LOW: (0.01, 0.05, 0.1),
    LikelihoodLevel.LOW: (0.1, 0.4, 1.0),
    LikelihoodLevel.MODERATE: (1.0, 3.0, 10.0),
    LikelihoodLevel.HIGH: (10.0, 25.0, 100.0),
    LikelihoodLevel.VERY_HIGH: (100.0, 200.0, 500.0),
}
# Most modelled threats are rare in any one year; the few frequent ones dominate the simulated events (and the
# cost of simulating them: every event is drawn, 20,000 years over).
LIKELIHOODS = (
    (LikelihoodLevel.VERY_LOW, 750), (LikelihoodLevel.LOW, 229), (LikelihoodLevel.MODERATE, 20),
    (LikelihoodLevel.HIGH, 1),
)  # fmt: skip


def _pick[T](rng: random.Random, weighted: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


class Command(BaseCommand):
    help = (
        "Build a large, realistic organisation (teams, projects, threats, controls, business risks, members of "
        "every role, a year of daily snapshots) with bulk inserts, and compute its results. Sizes are options. "
        "Does nothing when an organisation of that name exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="Globex Estate", help="The organisation's name.")
        parser.add_argument("--teams", type=int, default=20)
        parser.add_argument("--projects", type=int, default=500)
        parser.add_argument("--threats-per-project", type=int, default=100)
        parser.add_argument("--controls-per-project", type=int, default=60)
        parser.add_argument("--risks", type=int, default=200)
        parser.add_argument("--snapshot-days", type=int, default=365, help="Days of snapshots before today.")
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random choices.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if Organisation.objects.filter(name=name).exists():
            self.stdout.write(f"{name} already exists: nothing done.")
            return
        if min(options["teams"], options["projects"], options["risks"]) < 1:
            raise CommandError("Give at least one team, one project and one risk.")
        started = time.perf_counter()
        with transaction.atomic():
            estate = Estate(random.Random(options["seed"]), options)  # noqa: S311 (made-up data, repeatable)
            organisation = estate.build(name)
            built = time.perf_counter()
            recompute(organisation.pk)
            computed = time.perf_counter()
            estate.snapshots(organisation, options["snapshot_days"])
        done = time.perf_counter()
        self.stdout.write(
            f"{name} ready: {options['teams']} teams, {options['projects']} projects, {estate.threats} threats, "
            f"{estate.controls} controls, {estate.risks} business risks, {estate.scenarios} scenarios, "
            f"{options['snapshot_days'] + 1} snapshots, in {done - started:.1f} s (rows {built - started:.1f} s, "
            f"results {computed - built:.1f} s, snapshots {done - computed:.1f} s). Sign in as "
            f"lead1@{organisation.slug}.test with the password {ESTATE_PASSWORD}"
        )


class Estate:
    """One run's choices and counts."""

    def __init__(self, rng: random.Random, options: dict[str, Any]) -> None:
        self.rng = rng
        self.options = options
        self.today = timezone.localdate()
        self.threats = self.controls = self.risks = self.scenarios = 0

    def build(self, name: str) -> Organisation:
        organisation = Organisation.objects.create(name=name, slug=slugify(name)[:60])
        settings = inputs.default_settings(organisation)
        settings.tolerance_amount = Decimal(5_000_000)
        settings.tolerance_probability = Decimal(10)
        settings.save()
        teams = Team.objects.bulk_create(
            Team(organisation=organisation, name=team_name, slug=slugify(team_name))
            for team_name in self._team_names(self.options["teams"])
        )
        people = self._members(organisation, teams)
        projects = self._projects(organisation, teams)
        threats = self._threats(projects, people)
        self._controls(projects, threats, people)
        self._risks(organisation, threats, people)
        return organisation

    def snapshots(self, organisation: Organisation, days: int) -> None:
        """Today's snapshot from the stored results, and `days` before it scaled by a falling trend."""
        end = take_snapshot(organisation, self.today).figures
        RiskSnapshot.objects.bulk_create(
            (
                RiskSnapshot(
                    organisation=organisation,
                    taken_on=self.today - datetime.timedelta(days=ago),
                    figures=_trended(end, self._trend(ago, days)),
                )
                for ago in range(1, days + 1)
            ),
            batch_size=BATCH,
        )

    def _trend(self, ago: int, days: int) -> float:
        # Risk was higher a year ago and fell as controls went in, with a little weekly noise.
        return 1 + 0.6 * ago / days + 0.04 * math.sin(ago / 7 * math.pi) + self.rng.uniform(-0.02, 0.02)

    def _team_names(self, count: int) -> list[str]:
        return [
            TEAM_NAMES[i % len(TEAM_NAMES)] + (f" {i // len(TEAM_NAMES) + 1}" if i >= len(TEAM_NAMES) else "")
            for i in range(count)
        ]

    def _members(self, organisation: Organisation, teams: list[Team]) -> dict[str, list[User]]:
        """One owner, three security leads, three engineers per team, five viewers; one shared password."""
        password = make_password(ESTATE_PASSWORD)
        domain = f"{organisation.slug}.test"
        cast: list[tuple[str, Role, Team | None]] = [("owner1", Role.OWNER, None)]
        cast += [(f"lead{i}", Role.SECURITY_LEAD, None) for i in range(1, 4)]
        cast += [
            (f"engineer{t}-{i}", Role.ENGINEER, team) for t, team in enumerate(teams, 1) for i in range(1, 4)
        ]
        cast += [(f"viewer{i}", Role.VIEWER, None) for i in range(1, 6)]
        users = User.objects.bulk_create(
            User(email=f"{local}@{domain}", name=local.capitalize(), password=password)
            for local, _, _ in cast
        )
        memberships = Membership.objects.bulk_create(
            Membership(user=user, organisation=organisation, role=role)
            for user, (_, role, _) in zip(users, cast, strict=True)
        )
        Membership.teams.through.objects.bulk_create(
            Membership.teams.through(membership_id=membership.pk, team_id=team.pk)
            for membership, (_, _, team) in zip(memberships, cast, strict=True)
            if team is not None
        )
        people: dict[str, list[User]] = {"leads": [], "viewers": []}
        for user, (_, role, team) in zip(users, cast, strict=True):
            if team is not None:
                people.setdefault(f"team{team.pk}", []).append(user)
            elif role == Role.VIEWER:
                people["viewers"].append(user)
            else:
                people["leads"].append(user)
        return people

    def _projects(self, organisation: Organisation, teams: list[Team]) -> list[Project]:
        rng = self.rng
        per_project = self.options["threats_per_project"]
        return Project.objects.bulk_create(
            (
                Project(
                    organisation=organisation,
                    team=team,
                    name=f"{team.name} {SYSTEMS[i // len(teams) % len(SYSTEMS)]} {i // len(teams) + 1}",
                    description=f"The {team.name.lower()} team's system number {i // len(teams) + 1}.",
                    criticality=rng.choice(Criticality.values),
                    data_classification=rng.choice(DataClassification.values),
                    status=rng.choice(ProjectStatus.values),
                    last_reviewed_on=(
                        self.today - datetime.timedelta(days=rng.randint(0, 240))
                        if rng.random() < 0.8
                        else None
                    ),
                    threat_counter=per_project,
                )
                for i, team in ((i, teams[i % len(teams)]) for i in range(self.options["projects"]))
            ),
            batch_size=BATCH,
        )

    def _threats(self, projects: list[Project], people: dict[str, list[User]]) -> list[Threat]:
        rng = self.rng
        rows = []
        for project in projects:
            engineers = people[f"team{project.team_id}"]
            for number in range(1, self.options["threats_per_project"] + 1):
                likelihood = _pick(rng, LIKELIHOODS)
                ranged = rng.random() < 0.4
                low, mode, high = FREQUENCIES[likelihood]
                status = _pick(rng, THREAT_STATUSES)
                rows.append(
                    Threat(
                        project=project,
                        number=number,
                        threat_source=rng.choice(SOURCES),
                        threat_action=f"{rng.choice(ACTIONS)} the {project.name}",
                        threat_impact=rng.choice(IMPACTS),
                        impacted_goals=rng.sample(Goal.values, rng.randint(1, 2)),
                        stride=sorted(rng.sample(Stride.values, rng.randint(1, 2))),
                        status=status,
                        status_reason="Not reachable from outside."
                        if status == ThreatStatus.REJECTED
                        else "",
                        owner=rng.choice(engineers) if rng.random() < 0.7 else None,
                        created_by=rng.choice(engineers),
                        likelihood=likelihood,
                        frequency_min=low if ranged else None,
                        frequency_mode=mode if ranged else None,
                        frequency_max=high if ranged else None,
                    )
                )
        self.threats = len(rows)
        return Threat.objects.bulk_create(rows, batch_size=BATCH)

    def _controls(
        self, projects: list[Project], threats: list[Threat], people: dict[str, list[User]]
    ) -> None:
        rng = self.rng
        per_project = self.options["threats_per_project"]
        controls, links = [], []
        for p, project in enumerate(projects):
            engineers = people[f"team{project.team_id}"]
            own_threats = threats[p * per_project : (p + 1) * per_project]
            for n in range(self.options["controls_per_project"]):
                controls.append(
                    Control(
                        project=project,
                        title=f"{CONTROLS[n % len(CONTROLS)]} ({n // len(CONTROLS) + 1})",
                        kind=rng.choice(ControlKind.values),
                        status=_pick(rng, CONTROL_STATUSES),
                        owner=rng.choice(engineers),
                        due_on=self.today + datetime.timedelta(days=rng.randint(-60, 180)),
                        cost_per_year=Decimal(rng.randrange(1_000, 120_000, 500)),
                        effort_days=Decimal(rng.randint(1, 40)),
                    )
                )
                if own_threats:
                    links.append(rng.sample(own_threats, min(len(own_threats), rng.randint(1, 3))))
                else:
                    links.append([])
        Control.objects.bulk_create(controls, batch_size=BATCH)
        ThreatControl.objects.bulk_create(
            (
                ThreatControl(threat=threat, control=control, effectiveness=rng.randrange(20, 95, 5))
                for control, linked in zip(controls, links, strict=True)
                for threat in linked
            ),
            batch_size=BATCH,
        )
        self.controls = len(controls)

    def _risks(
        self, organisation: Organisation, threats: list[Threat], people: dict[str, list[User]]
    ) -> None:
        rng = self.rng
        owners = people["leads"] + people["viewers"]
        risks = []
        for number in range(1, self.options["risks"] + 1):
            treatment = _pick(rng, TREATMENTS)
            impact = rng.choice(LEVELS[1:])
            quantified = rng.random() < 0.7
            low = Decimal(rng.choice((20_000, 50_000, 100_000, 250_000, 500_000)))
            risks.append(
                BusinessRisk(
                    organisation=organisation,
                    number=number,
                    title=f"{CONSEQUENCES[number % len(CONSEQUENCES)]} {TEAM_NAMES[number % len(TEAM_NAMES)]} "
                    f"({number})",
                    categories=rng.sample(Category.values, rng.randint(1, 2)),
                    owner=rng.choice(owners),
                    impact=str(impact),
                    loss_low=low if quantified else None,
                    loss_high=low * rng.randint(5, 40) if quantified else None,
                    treatment=treatment,
                    treatment_detail={
                        Treatment.TRANSFER: "Cyber insurance policy with Lloyd's syndicate.",
                        Treatment.AVOID: "The legacy system is retired.",
                    }.get(treatment, ""),
                    status=RiskStatus.ACCEPTED
                    if treatment == Treatment.ACCEPT
                    else rng.choice([RiskStatus.OPEN, RiskStatus.IN_TREATMENT]),
                    review_on=self.today + datetime.timedelta(days=rng.randint(-30, 180)),
                )
            )
        BusinessRisk.objects.bulk_create(risks)
        # Some risks gather many threats, most a few: weights fall off along the register.
        weights = [1 / (1 + i / 20) for i in range(len(risks))]
        Scenario.objects.bulk_create(
            (
                Scenario(risk=risk, threat=threat)
                for threat in threats
                for risk in _distinct(rng.choices(risks, weights=weights, k=rng.randint(1, 2)))
            ),
            batch_size=BATCH,
        )
        self.scenarios = Scenario.objects.filter(risk__organisation=organisation).count()
        self.risks = len(risks)
        self._acceptances([risk for risk in risks if risk.treatment == Treatment.ACCEPT])

    def _acceptances(self, risks: list[BusinessRisk]) -> None:
        """Accepted risks: most approved and in force, some expiring within 30 days, some run out, some asked."""
        rows = []
        for i, risk in enumerate(risks):
            kind = i % 4
            expires_on = self.today + datetime.timedelta(days=(200, 20, -15, 120)[kind])
            rows.append(
                RiskAcceptance(
                    risk=risk,
                    requested_by=risk.owner,
                    rationale="The cost of treating it is above the loss it can cause.",
                    expires_on=expires_on,
                    status=AcceptanceStatus.REQUESTED if kind == 3 else AcceptanceStatus.APPROVED,
                    decided_by=None if kind == 3 else risk.owner,
                    decided_at=None if kind == 3 else timezone.now() - datetime.timedelta(days=30),
                    decision_note="" if kind == 3 else "Agreed.",
                )
            )
        RiskAcceptance.objects.bulk_create(rows)


def _distinct(risks: list[BusinessRisk]) -> list[BusinessRisk]:
    return list({risk.number: risk for risk in risks}.values())


def _trended(end: dict[str, Any], factor: float) -> dict[str, Any]:
    """Today's figures as they might have stood when risk was `factor` times higher."""
    risks = end["risks"]
    levels = dict(end["residual_levels"])
    scored = risks - levels["unscored"]
    high = {level: min(scored, round(levels[level] * factor)) for level in ("high", "very_high")}
    if sum(high.values()) > scored:
        high["high"] = scored - high["very_high"]
    rest = scored - sum(high.values())
    below = ("very_low", "low", "moderate")
    below_total = sum(levels[level] for level in below) or 1
    shares = {level: rest * levels[level] // below_total for level in below}
    shares["low"] += rest - sum(shares.values())
    above = end["above_appetite"]
    return {
        **end,
        "synthetic": True,
        "portfolio": {
            stage: {
                "ale_mean": figures["ale_mean"] * factor,
                "p90": figures["p90"] * factor,
                "p_exceeding_tolerance": (
                    min(1.0, figures["p_exceeding_tolerance"] * factor)
                    if figures["p_exceeding_tolerance"] is not None
                    else None
                ),
            }
            for stage, figures in end["portfolio"].items()
        },
        "above_appetite": {
            "count": min(scored, round(above["count"] * factor)),
            "ale_mean": above["ale_mean"] * factor,
        },
        "residual_levels": {**shares, **high, "unscored": levels["unscored"]},
    }

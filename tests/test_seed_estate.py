"""`manage.py seed_estate`, at a small size: the estate it builds, its results and snapshots, and a second run."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from projects.models import (
    Control,
    ControlStatus,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatControl,
)
from projects.roles import Role
from risks.models import BusinessRisk, PortfolioResult, RiskAcceptance, RiskResult, RiskSnapshot, Scenario
from risks.snapshots import snapshot_figures

SIZE = {
    "teams": 3,
    "projects": 5,
    "threats_per_project": 8,
    "controls_per_project": 10,
    "risks": 12,
    "snapshot_days": 20,
}


def _seed(name: str = "Small Estate") -> str:
    out = StringIO()
    call_command("seed_estate", name=name, stdout=out, **SIZE)
    return out.getvalue()


@pytest.fixture
def estate(db: None) -> Organisation:
    _seed()
    return Organisation.objects.get(name="Small Estate")


def test_it_builds_the_sizes_asked_for(estate: Organisation) -> None:
    assert Team.objects.filter(organisation=estate).count() == 3
    assert Project.objects.filter(organisation=estate).count() == 5
    assert Threat.objects.filter(project__organisation=estate).count() == 5 * 8
    assert Control.objects.filter(project__organisation=estate).count() == 5 * 10
    assert BusinessRisk.objects.filter(organisation=estate).count() == 12
    assert RiskSnapshot.objects.filter(organisation=estate).count() == 20 + 1


def test_it_has_members_of_every_role_and_every_team_has_engineers(estate: Organisation) -> None:
    roles = set(Membership.objects.filter(organisation=estate).values_list("role", flat=True))
    assert roles == set(Role.values)
    teams = Team.objects.filter(organisation=estate).annotate(engineers=Count("memberships"))
    assert all(team.engineers >= 1 for team in teams)


def test_threat_numbers_run_from_one_to_the_project_counter(estate: Organisation) -> None:
    projects = Project.objects.filter(organisation=estate).annotate(
        threat_count=Count("threats"), first=Min("threats__number"), last=Max("threats__number")
    )
    for project in projects:
        assert (project.threat_count, project.first, project.last, project.threat_counter) == (8, 1, 8, 8)


def test_every_threat_is_linked_to_one_or_two_risks(estate: Organisation) -> None:
    links = Threat.objects.filter(project__organisation=estate).annotate(risks=Count("scenarios"))
    assert {threat.risks for threat in links} <= {1, 2}
    assert (
        not Scenario.objects.filter(risk__organisation=estate)
        .exclude(threat__project__organisation=estate)
        .exists()
    )


def test_threats_have_likelihoods_and_controls_cover_every_state(estate: Organisation) -> None:
    threats = Threat.objects.filter(project__organisation=estate)
    assert not threats.filter(likelihood="").exists()
    assert threats.filter(frequency_mode__isnull=False).exists()
    statuses = set(Control.objects.filter(project__organisation=estate).values_list("status", flat=True))
    assert statuses == set(ControlStatus.values)
    links = ThreatControl.objects.filter(control__project__organisation=estate)
    assert links.exists()
    assert not links.exclude(threat__project=F("control__project")).exists()


def test_results_are_computed_for_every_risk_and_the_portfolio(estate: Organisation) -> None:
    assert RiskResult.objects.filter(risk__organisation=estate).count() == 12
    assert PortfolioResult.objects.filter(organisation=estate).exists()
    assert RiskResult.objects.filter(
        risk__organisation=estate, figures__residual__level__isnull=False
    ).exists()


def test_accepted_risks_have_acceptances(estate: Organisation) -> None:
    accepted = BusinessRisk.objects.filter(organisation=estate, treatment="accept")
    assert RiskAcceptance.objects.filter(risk__in=accepted).count() == accepted.count()


def test_todays_snapshot_is_read_from_the_results_and_the_year_before_is_synthetic(
    estate: Organisation,
) -> None:
    today = timezone.localdate()
    snapshots = RiskSnapshot.objects.filter(organisation=estate)
    assert snapshots.get(taken_on=today).figures == snapshot_figures(estate, today)
    earlier = snapshots.exclude(taken_on=today)
    assert all(snapshot.figures["synthetic"] for snapshot in earlier)
    assert all(sum(snapshot.figures["residual_levels"].values()) == 12 for snapshot in snapshots)
    oldest = earlier.order_by("taken_on").first()
    assert oldest is not None
    residual_now = snapshots.get(taken_on=today).figures["portfolio"]["residual"]["ale_mean"]
    assert oldest.figures["portfolio"]["residual"]["ale_mean"] >= residual_now


def test_a_second_run_with_the_same_name_does_nothing(estate: Organisation) -> None:
    threats = Threat.objects.count()

    assert "already exists: nothing done" in _seed()

    assert Organisation.objects.filter(name="Small Estate").count() == 1
    assert Threat.objects.count() == threats

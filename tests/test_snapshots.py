"""Daily snapshots of the organisation's risk figures: read from the stored results, one per day, kept two years."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from projects.models import Organisation
from risks import inputs
from risks.appetite import AcceptanceState, Standing, position_of
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    PortfolioResult,
    RiskAcceptance,
    RiskResult,
    RiskSnapshot,
    ScoringSettings,
)
from risks.snapshots import RETENTION, snapshots_prune, take_snapshot
from risks.tasks import take_daily_snapshots, take_organisation_snapshot
from tests.conftest import Cast
from tests.factories import OrganisationFactory
from tests.queries import count_queries
from tests.risk_register import figures, stage

LEVELS = ["very_low", "low", "moderate", "high", "very_high", None]
TODAY = datetime.date(2026, 11, 27)


def _risk_with_result(
    organisation: Organisation, number: int, level: str | None, ale: float, p_tolerance: float | None = None
) -> BusinessRisk:
    risk = BusinessRisk.objects.create(
        organisation=organisation, number=number, title=f"Risk {number}", impact="high"
    )
    stored = figures(level, ale)
    stored["residual"]["p_exceeding_tolerance"] = p_tolerance
    RiskResult.objects.create(
        risk=risk, fingerprint="f", computed_at=timezone.now(), iterations=1, seed=1, figures=stored
    )
    return risk


def _register(organisation: Organisation, size: int) -> list[BusinessRisk]:
    return [
        _risk_with_result(organisation, n, LEVELS[n % len(LEVELS)], 1_000.0 * n, (n % 7) / 20)
        for n in range(1, size + 1)
    ]


def _accept(risk: BusinessRisk, expires_on: datetime.date) -> None:
    RiskAcceptance.objects.create(
        risk=risk, rationale="Agreed.", expires_on=expires_on, status=AcceptanceStatus.APPROVED
    )


def _store_portfolio(organisation: Organisation) -> None:
    stored: dict[str, Any] = {
        "inherent": stage("very_high", 4_000_000.0),
        "residual": {**stage("high", 1_000_000.0), "p_exceeding_tolerance": 0.12},
        "projected": stage("low", 250_000.0),
    }
    PortfolioResult.objects.create(
        organisation=organisation,
        fingerprint="f",
        computed_at=timezone.now(),
        iterations=1,
        seed=1,
        figures=stored,
    )


def _independent_count(organisation: Organisation, day: datetime.date) -> dict[str, Any]:
    """The register's figures as the pages decide each risk's position, one risk at a time."""
    scales = inputs.Scales.of(inputs.settings_of(organisation))
    above_count, above_ale, accepted_count, accepted_ale = 0, 0.0, 0, 0.0
    levels: dict[str, int] = dict.fromkeys([str(level) for level in LEVELS if level] + ["unscored"], 0)
    results = RiskResult.objects.filter(risk__organisation=organisation).select_related("risk")
    for result in results:
        residual = result.figures["residual"]
        acceptance = AcceptanceState.of(result.risk.acceptances.all(), day)
        position = position_of(residual["level"], residual["p_exceeding_tolerance"], scales, acceptance)
        if position.standing == Standing.ABOVE:
            above_count += 1
            above_ale += residual["ale_mean"]
        if position.standing == Standing.ACCEPTED:
            accepted_count += 1
            accepted_ale += residual["ale_mean"]
        levels[residual["level"] or "unscored"] += 1
    return {
        "risks": len(results),
        "above_appetite": {"count": above_count, "ale_mean": pytest.approx(above_ale)},
        "accepted": {"count": accepted_count, "ale_mean": pytest.approx(accepted_ale)},
        "residual_levels": levels,
    }


def test_the_register_figures_equal_a_count_of_each_risk_position(cast: Cast) -> None:
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
        appetite_level="low",
        tolerance_amount=Decimal(1_000_000),
        tolerance_probability=Decimal(10),
    )
    risks = _register(cast.organisation, 30)
    _accept(risks[3], TODAY + datetime.timedelta(days=10))  # in force
    _accept(risks[4], TODAY - datetime.timedelta(days=1))  # ran out: back above appetite
    _register(cast.outsider_organisation, 5)

    snapshot = take_snapshot(cast.organisation, TODAY)

    expected = _independent_count(cast.organisation, TODAY)
    assert {key: snapshot.figures[key] for key in expected} == expected
    assert snapshot.figures["above_appetite"]["count"] > 0
    assert snapshot.figures["accepted"]["count"] == 1


def test_the_default_appetite_counts_levels_above_moderate(cast: Cast) -> None:
    _register(cast.organisation, 12)

    snapshot = take_snapshot(cast.organisation, TODAY)

    assert snapshot.figures["above_appetite"]["count"] == 4  # two high, two very high
    assert snapshot.figures == {**snapshot.figures, **_independent_count(cast.organisation, TODAY)}


def test_the_portfolio_figures_are_the_stored_ones(cast: Cast) -> None:
    _store_portfolio(cast.organisation)

    portfolio = take_snapshot(cast.organisation, TODAY).figures["portfolio"]

    assert portfolio == {
        "inherent": {"ale_mean": 4_000_000.0, "p90": 8_000_000.0, "p_exceeding_tolerance": None},
        "residual": {"ale_mean": 1_000_000.0, "p90": 2_000_000.0, "p_exceeding_tolerance": 0.12},
        "projected": {"ale_mean": 250_000.0, "p90": 500_000.0, "p_exceeding_tolerance": None},
    }


def test_an_organisation_never_computed_has_zero_figures(cast: Cast) -> None:
    figures = take_snapshot(cast.organisation, TODAY).figures

    assert figures["risks"] == 0
    assert figures["above_appetite"] == {"count": 0, "ale_mean": 0.0}
    assert figures["portfolio"]["residual"] == {"ale_mean": 0.0, "p90": 0.0, "p_exceeding_tolerance": None}


def test_a_second_snapshot_on_the_same_day_replaces_the_first(cast: Cast) -> None:
    take_snapshot(cast.organisation, TODAY)
    _register(cast.organisation, 3)

    take_snapshot(cast.organisation, TODAY)

    assert RiskSnapshot.objects.filter(organisation=cast.organisation).count() == 1
    assert RiskSnapshot.objects.get(organisation=cast.organisation).figures["risks"] == 3


def test_snapshots_of_other_days_are_kept(cast: Cast) -> None:
    take_snapshot(cast.organisation, TODAY - datetime.timedelta(days=1))
    take_snapshot(cast.organisation, TODAY)

    days = RiskSnapshot.objects.filter(organisation=cast.organisation).values_list("taken_on", flat=True)
    assert list(days) == [TODAY - datetime.timedelta(days=1), TODAY]


def test_snapshots_older_than_two_years_and_a_week_are_deleted(cast: Cast) -> None:
    oldest_kept = TODAY - RETENTION
    for day in (oldest_kept - datetime.timedelta(days=1), oldest_kept, TODAY):
        take_snapshot(cast.organisation, day)
    take_snapshot(cast.outsider_organisation, oldest_kept - datetime.timedelta(days=30))

    assert snapshots_prune(TODAY) == 2

    assert list(RiskSnapshot.objects.values_list("taken_on", flat=True)) == [oldest_kept, TODAY]
    assert datetime.timedelta(days=2 * 365) <= RETENTION


@pytest.mark.parametrize("size", [1, 50])
def test_a_snapshot_costs_the_same_queries_for_one_risk_or_fifty(cast: Cast, size: int) -> None:
    risks = _register(cast.organisation, size)
    _accept(risks[0], TODAY + datetime.timedelta(days=5))
    _store_portfolio(cast.organisation)

    assert count_queries(lambda: take_snapshot(cast.organisation, TODAY)) == 4


def test_the_daily_task_snapshots_every_organisation(cast: Cast) -> None:
    _register(cast.organisation, 2)
    RiskSnapshot.objects.create(
        organisation=cast.organisation, taken_on=timezone.localdate() - RETENTION * 2, figures={}
    )

    assert take_daily_snapshots() == Organisation.objects.count()

    assert RiskSnapshot.objects.filter(taken_on=timezone.localdate()).count() == Organisation.objects.count()
    assert not RiskSnapshot.objects.filter(taken_on__lt=timezone.localdate()).exists()


def test_a_snapshot_on_demand_of_a_deleted_organisation_does_nothing(db: None) -> None:
    organisation = OrganisationFactory.create()
    organisation_id = organisation.pk
    organisation.delete()

    assert take_organisation_snapshot(organisation_id) is False


def test_beat_takes_the_snapshots_daily() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["take-risk-snapshots"]

    assert entry["task"] == take_daily_snapshots.name
    assert entry["schedule"] == 24 * 60 * 60


def test_every_beat_task_is_known_to_the_worker() -> None:
    """Autodiscovery reads each app's `tasks` module only: a beat entry naming a task elsewhere never runs."""
    from django.conf import settings

    from threatmodel.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks

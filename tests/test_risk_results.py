"""Stored risk results: what risks.results.recompute stores, and what risks.selectors reads back.

The simulated means are checked against the exact closed-form means (within 3 %); levels against the matrix;
staleness against the inputs' fingerprint.
"""

import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import ControlStatus, Project, Threat
from risks import changes, inputs, services, tasks
from risks.inputs import Counted, Stage
from risks.models import BusinessRisk, PortfolioResult, RiskResult, ScenarioResult, ScoringSettings
from risks.results import recompute
from risks.scoring.levels import Level
from risks.scoring.matrix import NIST_SP_800_30
from risks.selectors import PERCENTILES, StoredFigures, portfolio_figures, stored_figures
from risks.tasks import recompute_organisation, schedule_recompute
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory

STAGES = (Stage.INHERENT, Stage.RESIDUAL, Stage.PROJECTED)


def make_risk(cast: Cast, title: str, **fields: object) -> BusinessRisk:
    fields.setdefault("impact", "moderate")
    return services.risk_create(membership=cast.membership(cast.security_lead), title=title, **fields)


def link(cast: Cast, risk: BusinessRisk, threat: Threat) -> None:
    services.scenario_create(membership=cast.membership(cast.security_lead), risk=risk, threat=threat)


def control_on(threat: Threat, status: str, effectiveness: int) -> None:
    control = ControlFactory.create(project=threat.project, status=status, cost_per_year=Decimal(10_000))
    ThreatControlFactory.create(threat=threat, control=control, effectiveness=effectiveness)


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(organisation=cast.organisation, team=cast.team)


@pytest.fixture
def card_data(cast: Cast, project: Project) -> BusinessRisk:
    """A risk with a loss range, two scenarios (a level and a frequency range) and controls in every state."""
    risk = make_risk(
        cast, "Card data exposed", impact="", loss_low=Decimal(200_000), loss_high=Decimal(3_000_000)
    )
    by_level = ThreatFactory.create(project=project, likelihood="moderate")
    by_range = ThreatFactory.create(project=project, frequency_min=0.5, frequency_mode=2, frequency_max=8)
    control_on(by_level, ControlStatus.IMPLEMENTED, 60)
    control_on(by_level, ControlStatus.PLANNED, 50)
    control_on(by_range, ControlStatus.VERIFIED, 30)
    control_on(by_range, ControlStatus.IN_PROGRESS, 70)
    control_on(by_range, ControlStatus.PROPOSED, 90)
    link(cast, risk, by_level)
    link(cast, risk, by_range)
    return risk


def test_the_stored_means_agree_with_the_closed_form_at_every_stage(
    cast: Cast, card_data: BusinessRisk
) -> None:
    recompute(cast.organisation.pk)

    (risk_inputs,) = inputs.risk_inputs(cast.organisation, [card_data.pk])
    figures = stored_figures(cast.organisation, [card_data.pk])[card_data.pk]
    assert figures is not None
    for stage in STAGES:
        exact = risk_inputs.expected_annual_loss(Counted.stage(stage))
        assert exact is not None
        assert getattr(figures, stage).ale_mean == pytest.approx(exact, rel=0.03)
    assert figures.inherent.ale_mean > figures.residual.ale_mean > figures.projected.ale_mean > 0


def test_each_stage_stores_the_level_of_its_worst_scenario(cast: Cast, card_data: BusinessRisk) -> None:
    recompute(cast.organisation.pk)

    (risk_inputs,) = inputs.risk_inputs(cast.organisation, [card_data.pk])
    figures = stored_figures(cast.organisation, [card_data.pk])[card_data.pk]
    assert figures is not None
    for stage in STAGES:
        assert getattr(figures, stage).level == risk_inputs.level(Counted.stage(stage))
    assert figures.inherent.level == "moderate"  # moderate likelihood by a moderate impact (median ~775,000)
    assert figures.projected.level == "low"  # the controls bring the likelihood down to low


def test_each_stage_stores_the_cell_of_its_worst_scenario(cast: Cast, project: Project) -> None:
    # Impact high. Inherent, the moderate threat (about 3 a year) is the worst; a 99 % control in force brings
    # it to 0.03 a year, very low, as likely as the bare very-low threat: the residual cell is very low by high.
    risk = make_risk(cast, "Outage", impact="high")
    controlled = ThreatFactory.create(project=project, likelihood="moderate")
    bare = ThreatFactory.create(project=project, likelihood="very_low")
    control_on(controlled, ControlStatus.IMPLEMENTED, 99)
    link(cast, risk, controlled)
    link(cast, risk, bare)
    recompute(cast.organisation.pk)

    figures = stored_figures(cast.organisation, [risk.pk])[risk.pk]
    assert figures is not None
    assert (figures.inherent.likelihood, figures.inherent.impact) == ("moderate", "high")
    assert figures.inherent.level == str(NIST_SP_800_30.level(Level.MODERATE, Level.HIGH))
    assert (figures.residual.likelihood, figures.residual.impact) == ("very_low", "high")
    assert figures.residual.level == str(NIST_SP_800_30.level(Level.VERY_LOW, Level.HIGH))


def test_each_scenario_stores_its_levels_and_share_of_the_risks_expected_loss(
    cast: Cast, card_data: BusinessRisk
) -> None:
    recompute(cast.organisation.pk)

    (risk_inputs,) = inputs.risk_inputs(cast.organisation, [card_data.pk])
    figures = stored_figures(cast.organisation, [card_data.pk])[card_data.pk]
    assert figures is not None
    rows = {row.scenario_id: row for row in ScenarioResult.objects.filter(risk=card_data)}
    assert set(rows) == {s.scenario_id for s in risk_inputs.scenarios}
    for stage, field in ((Stage.INHERENT, "inherent"), (Stage.RESIDUAL, "residual")):
        total = sum(getattr(row, f"{field}_ale") for row in rows.values())
        assert total == pytest.approx(getattr(figures, field).ale_mean, rel=1e-9)
        rates = {s.scenario_id: s.expected_rate(Counted.stage(stage)) for s in risk_inputs.scenarios}
        for scenario_id, row in rows.items():
            share = rates[scenario_id] / sum(rates.values())
            assert getattr(row, f"{field}_ale") == pytest.approx(share * total, rel=1e-9)
            scenario = next(s for s in risk_inputs.scenarios if s.scenario_id == scenario_id)
            expected = scenario.level(risk_inputs.scales, risk_inputs.impact, Counted.stage(stage))
            assert getattr(row, f"{field}_level") == str(expected)
            assert row.project_id == scenario.project_id


def test_a_deleted_scenario_loses_its_result_at_the_next_recomputation(
    cast: Cast, card_data: BusinessRisk
) -> None:
    recompute(cast.organisation.pk)
    scenario = card_data.scenarios.first()
    assert scenario is not None
    services.scenario_delete(membership=cast.membership(cast.security_lead), scenario=scenario)
    recompute(cast.organisation.pk)

    assert set(ScenarioResult.objects.filter(risk=card_data).values_list("scenario_id", flat=True)) == set(
        card_data.scenarios.values_list("pk", flat=True)
    )
    assert ScenarioResult.objects.filter(risk=card_data).count() == 1


def test_a_stage_reads_percentiles_chance_of_loss_and_a_small_curve(
    cast: Cast, card_data: BusinessRisk
) -> None:
    recompute(cast.organisation.pk)

    residual = stored_figures(cast.organisation, [card_data.pk])[card_data.pk].residual  # type: ignore[union-attr]
    assert list(residual.percentiles) == list(PERCENTILES)
    values = list(residual.percentiles.values())
    assert values == sorted(values)
    assert 0 < residual.p_loss <= 1
    assert 2 <= len(residual.lec) <= 50
    amounts = [amount for amount, _ in residual.lec]
    chances = [chance for _, chance in residual.lec]
    assert amounts == sorted(amounts)
    assert chances == sorted(chances, reverse=True)
    assert residual.lec[0] == (0.0, residual.p_loss)
    assert residual.p_exceeding_tolerance is None  # the organisation set no tolerance


def test_the_chance_of_exceeding_the_tolerance_is_read_at_its_amount(
    cast: Cast, card_data: BusinessRisk
) -> None:
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
        tolerance_amount=Decimal(2_000_000),
        tolerance_probability=Decimal(10),
    )
    recompute(cast.organisation.pk)

    figures = stored_figures(cast.organisation, [card_data.pk])[card_data.pk]
    portfolio = portfolio_figures(cast.organisation)
    assert figures is not None
    assert portfolio is not None
    for stage in (figures.inherent, figures.residual, figures.projected, portfolio.residual):
        assert stage.p_exceeding_tolerance is not None
        assert 0 <= stage.p_exceeding_tolerance <= stage.p_loss
    assert figures.inherent.p_exceeding_tolerance >= figures.residual.p_exceeding_tolerance  # type: ignore[operator]


def test_a_risk_without_a_scored_scenario_has_zero_figures_and_no_level(
    cast: Cast, project: Project, card_data: BusinessRisk
) -> None:
    no_scenario = make_risk(cast, "Payroll fraud")
    unscored = make_risk(cast, "Outage")
    link(cast, unscored, ThreatFactory.create(project=project))  # a threat with no likelihood yet

    recompute(cast.organisation.pk)

    found = stored_figures(cast.organisation, [no_scenario.pk, unscored.pk])
    for figures in found.values():
        assert figures is not None
        assert not figures.stale
        for stage in (figures.inherent, figures.residual, figures.projected):
            assert stage.level is None
            assert stage.ale_mean == stage.p_loss == 0
            assert set(stage.percentiles.values()) == {0.0}


def test_the_portfolio_adds_the_risks_year_by_year(
    cast: Cast, project: Project, card_data: BusinessRisk
) -> None:
    other = make_risk(cast, "Ledger corrupted", impact="high")
    link(cast, other, ThreatFactory.create(project=project, likelihood="very_high"))

    recompute(cast.organisation.pk)

    portfolio = portfolio_figures(cast.organisation)
    each = stored_figures(cast.organisation, [card_data.pk, other.pk])
    assert portfolio is not None
    assert not portfolio.stale
    for stage in STAGES:
        total = sum(getattr(figures, stage).ale_mean for figures in each.values() if figures is not None)
        assert getattr(portfolio, stage).ale_mean == pytest.approx(total, rel=1e-9)
    assert portfolio.inherent.level == "high"  # the worst risk's


def test_figures_are_reproducible(cast: Cast, card_data: BusinessRisk) -> None:
    recompute(cast.organisation.pk)
    first = RiskResult.objects.get(risk=card_data)
    recompute(cast.organisation.pk)
    second = RiskResult.objects.get(risk=card_data)

    assert second.figures == first.figures
    assert second.seed == first.seed
    assert second.iterations == inputs.ITERATIONS == 20_000
    assert second.computed_at > first.computed_at


def test_nothing_is_stored_before_the_first_recomputation(cast: Cast, card_data: BusinessRisk) -> None:
    assert stored_figures(cast.organisation, [card_data.pk]) == {card_data.pk: None}
    assert portfolio_figures(cast.organisation) is None


def test_an_organisation_without_risks_gets_an_empty_portfolio(cast: Cast) -> None:
    recompute(cast.organisation.pk)

    portfolio = portfolio_figures(cast.organisation)
    assert portfolio is not None
    assert not portfolio.stale
    assert portfolio.residual.ale_mean == 0
    assert portfolio.residual.level is None


def test_a_changed_input_makes_the_figures_stale_until_recomputed(
    cast: Cast, card_data: BusinessRisk
) -> None:
    recompute(cast.organisation.pk)
    assert not _figures(cast, card_data).stale
    threat = card_data.threats.get(likelihood="moderate")

    Threat.objects.filter(pk=threat.pk).update(likelihood="very_high")

    assert _figures(cast, card_data).stale
    assert portfolio_figures(cast.organisation).stale  # type: ignore[union-attr]
    recompute(cast.organisation.pk)
    assert not _figures(cast, card_data).stale
    assert not portfolio_figures(cast.organisation).stale  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda risk: BusinessRisk.objects.filter(pk=risk.pk).update(loss_high=4_000_000), id="impact"
        ),
        pytest.param(
            lambda risk: risk.threats.first().controls.update(status=ControlStatus.VERIFIED),
            id="control status",
        ),
        pytest.param(lambda risk: risk.scenarios.first().delete(), id="scenario removed"),
    ],
)
def test_any_input_of_the_risk_makes_it_stale(cast: Cast, card_data: BusinessRisk, change: object) -> None:
    recompute(cast.organisation.pk)

    change(card_data)  # type: ignore[operator]

    assert _figures(cast, card_data).stale


def test_a_new_tolerance_makes_the_figures_stale(cast: Cast, card_data: BusinessRisk) -> None:
    recompute(cast.organisation.pk)

    services.settings_update(
        membership=cast.membership(cast.owner),
        version=1,
        tolerance_amount=Decimal(1_000_000),
        tolerance_probability=Decimal(5),
    )

    assert _figures(cast, card_data).stale


def test_a_deleted_risk_loses_its_result_and_leaves_the_portfolio(
    cast: Cast, project: Project, card_data: BusinessRisk
) -> None:
    other = make_risk(cast, "Ledger corrupted", impact="high")
    link(cast, other, ThreatFactory.create(project=project, likelihood="low"))
    recompute(cast.organisation.pk)
    before = portfolio_figures(cast.organisation)

    services.risk_delete(membership=cast.membership(cast.security_lead), risk=other, version=other.version)

    assert not RiskResult.objects.filter(risk_id=other.pk).exists()
    assert portfolio_figures(cast.organisation).stale  # type: ignore[union-attr]
    recompute(cast.organisation.pk)
    after = portfolio_figures(cast.organisation)
    assert after is not None
    assert before is not None
    assert not after.stale
    assert after.residual.ale_mean == pytest.approx(_figures(cast, card_data).residual.ale_mean)
    assert after.residual.ale_mean < before.residual.ale_mean


def test_stored_figures_leave_out_other_organisations_risks(cast: Cast, card_data: BusinessRisk) -> None:
    outside = BusinessRisk.objects.create(
        organisation=cast.outsider_organisation, number=1, title="Theirs", impact="high"
    )
    recompute(cast.organisation.pk)
    recompute(cast.outsider_organisation.pk)

    assert list(stored_figures(cast.organisation, [card_data.pk, outside.pk])) == [card_data.pk]
    assert stored_figures(cast.outsider_organisation, [card_data.pk]) == {}


def test_recomputing_a_vanished_organisation_does_nothing(db: None) -> None:
    assert recompute(987_654) is None


def _figures(cast: Cast, risk: BusinessRisk) -> StoredFigures:
    found = stored_figures(cast.organisation, [risk.pk])[risk.pk]
    assert found is not None
    return found


def _risks(cast: Cast, project: Project, count: int) -> list[int]:
    threats = [ThreatFactory.create(project=project, likelihood="moderate") for _ in range(3)]
    for threat in threats:
        control_on(threat, ControlStatus.IMPLEMENTED, 40)
    ids = []
    for n in range(count):
        risk = make_risk(
            cast,
            f"Risk {n}",
            impact="high" if n % 2 else "",
            loss_low=Decimal(1_000),
            loss_high=Decimal(90_000),
        )
        for threat in threats[: 1 + n % 3]:
            link(cast, risk, threat)
        ids.append(risk.pk)
    return ids


def test_reading_stored_figures_costs_the_same_queries_for_one_risk_and_fifty(
    cast: Cast, project: Project
) -> None:
    ids = _risks(cast, project, 50)
    recompute(cast.organisation.pk)

    with CaptureQueriesContext(connection) as one:
        assert stored_figures(cast.organisation, ids[:1])[ids[0]] is not None
    with CaptureQueriesContext(connection) as fifty:
        found = stored_figures(cast.organisation, ids)
    assert len(found) == 50
    assert all(figures is not None and not figures.stale for figures in found.values())
    assert len(fifty) == len(one) <= 6


def test_recomputing_costs_the_same_queries_for_two_risks_and_twenty(cast: Cast, project: Project) -> None:
    _risks(cast, project, 2)
    recompute(cast.organisation.pk)  # the first one creates the portfolio's row
    with CaptureQueriesContext(connection) as two:
        recompute(cast.organisation.pk)
    threat = ThreatFactory.create(project=project, likelihood="high")
    for n in range(18):
        link(cast, make_risk(cast, f"More {n}", impact="low"), threat)
    with CaptureQueriesContext(connection) as twenty:
        recompute(cast.organisation.pk)

    assert RiskResult.objects.filter(risk__organisation=cast.organisation).count() == 20
    assert PortfolioResult.objects.filter(organisation=cast.organisation).count() == 1
    assert len(twenty) == len(two)


def test_a_superseded_recomputation_steps_aside_unless_changes_have_waited_too_long(
    cast: Cast, card_data: BusinessRisk
) -> None:
    organisation_id = cast.organisation.pk
    schedule_recompute(organisation_id)
    schedule_recompute(organisation_id)  # eager here: each ran as it was queued
    latest = changes.current_change(organisation_id)
    assert latest is not None

    assert recompute_organisation(organisation_id, latest - 1) is False
    assert recompute_organisation(organisation_id, latest) is True
    cache.set(tasks._waiting_key(organisation_id), time.time() - tasks.MAX_DELAY - 1)
    assert recompute_organisation(organisation_id, latest - 1) is True
    assert cache.get(tasks._waiting_key(organisation_id)) is None
    cache.delete(changes._key(organisation_id))
    assert (
        recompute_organisation(organisation_id, latest - 1) is True
    )  # the cache lost count: run, to be safe


def test_while_nothing_changed_the_counter_answers_without_reading_the_inputs(
    cast: Cast, project: Project
) -> None:
    ids = _risks(cast, project, 3)
    changes.next_change(cast.organisation.pk)  # what a change through the services does after it commits
    recompute(cast.organisation.pk)
    with CaptureQueriesContext(connection) as fast:
        found = stored_figures(cast.organisation, ids)
        portfolio = portfolio_figures(cast.organisation)
    assert not any(figures is None or figures.stale for figures in found.values())
    assert portfolio is not None
    assert not portfolio.stale
    assert len(fast) == 3  # the results, the risks' ids, the portfolio: no inputs, no fingerprints
    changes.next_change(cast.organisation.pk)  # a change since: the slow, exact check decides
    assert not stored_figures(cast.organisation, ids)[ids[0]].stale  # type: ignore[union-attr]
    Threat.objects.filter(project=project).update(likelihood="very_high")
    assert stored_figures(cast.organisation, ids)[ids[0]].stale  # type: ignore[union-attr]
    portfolio = portfolio_figures(cast.organisation)
    assert portfolio is not None
    assert portfolio.stale


def test_a_lost_counter_is_put_back_once_the_exact_check_finds_the_results_current(
    cast: Cast, project: Project
) -> None:
    _risks(cast, project, 3)
    changes.next_change(cast.organisation.pk)
    recompute(cast.organisation.pk)
    cache.delete(changes._key(cast.organisation.pk))  # the cache lost it (expired, flushed)

    with CaptureQueriesContext(connection) as slow:
        first = portfolio_figures(cast.organisation)
    with CaptureQueriesContext(connection) as fast:
        second = portfolio_figures(cast.organisation)

    assert first is not None
    assert second is not None
    assert not first.stale
    assert not second.stale
    assert len(fast) == 1 < len(slow)  # the portfolio row only: the counter answers again
    changes.next_change(cast.organisation.pk)  # a change after that is still seen
    Threat.objects.filter(project=project).update(likelihood="very_high")
    again = portfolio_figures(cast.organisation)
    assert again is not None
    assert again.stale

"""Where to stop on a business risk (risks.planning), its position against appetite (risks.appetite), the loss
exceedance chart (reports.charts) and how amounts and chances are written (risks.money): pure functions over
RiskInputs built by hand, checked against exact figures."""

import datetime
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.charts import Curve, Marker, loss_exceedance_chart
from risks.appetite import AcceptanceState, Standing, position_of
from risks.inputs import ControlOnThreat, Counted, RiskInputs, Scales, ScenarioInput
from risks.models import AcceptanceStatus, RiskAcceptance
from risks.money import Money, format_chance, format_compact, format_money
from risks.planning import effectiveness_for_risk, effects_for_risk, recommend, tolerated_expected_loss
from risks.scoring.distributions import FixedRate
from risks.scoring.levels import DEFAULT_FREQUENCY_SCALE, DEFAULT_MAGNITUDE_SCALE, Level
from risks.scoring.matrix import NIST_SP_800_30
from risks.scoring.planner import StopReason


class FixedLoss:
    """A loss per event that is always the same amount: expected losses are then exact and easy to check."""

    def __init__(self, amount: float) -> None:
        self.mean = amount

    def sample(self, rng: object, size: int) -> None:  # pragma: no cover - never simulated here
        raise NotImplementedError


def scales(tolerance: float | None = None, probability: float | None = 0.1) -> Scales:
    return Scales(
        likelihood=DEFAULT_FREQUENCY_SCALE,
        impact=DEFAULT_MAGNITUDE_SCALE,
        matrix=NIST_SP_800_30,
        currency="EUR",
        appetite_level=Level.MODERATE,
        tolerance_amount=tolerance,
        tolerance_probability=probability if tolerance is not None else None,
    )


def control(
    pk: int, status: str, effectiveness: float, cost: float | None, title: str = ""
) -> ControlOnThreat:
    return ControlOnThreat(pk, title or f"Control {pk}", status, effectiveness, cost)


def scenario(pk: int, rate: float, *controls: ControlOnThreat) -> ScenarioInput:
    return ScenarioInput(
        scenario_id=pk,
        threat_id=pk,
        threat_reference=f"T-{pk}",
        project_id=1,
        frequency=FixedRate(rate),
        likelihood=DEFAULT_FREQUENCY_SCALE.level_of(rate),
        controls=controls,
    )


def risk(*scenarios: ScenarioInput, loss: float = 100_000, tolerance: float | None = None) -> RiskInputs:
    return RiskInputs(
        risk_id=1,
        magnitude=FixedLoss(loss),  # type: ignore[arg-type]
        impact=DEFAULT_MAGNITUDE_SCALE.level_of(loss),
        scenarios=scenarios,
        scales=scales(tolerance),
    )


EUR = Money("EUR")


# Effectiveness for this risk ---------------------------------------------------------------------------------


def test_a_control_on_one_of_two_equal_scenarios_removes_its_share_of_the_risk() -> None:
    tokenise = control(1, "proposed", 0.8, 10_000)
    inputs = risk(scenario(1, 2, tokenise), scenario(2, 2))
    assert effectiveness_for_risk(inputs, 1, frozenset()) == pytest.approx(0.4)


def test_effectiveness_for_the_risk_counts_the_committed_controls_first() -> None:
    firewall = control(1, "implemented", 0.5, 5_000)
    tokenise = control(2, "proposed", 0.5, 10_000)
    inputs = risk(scenario(1, 2, firewall, tokenise), scenario(2, 1))
    # Without tokenisation: 2 x 0.5 + 1 = 2 events a year; with it: 2 x 0.25 + 1 = 1.5.
    assert effectiveness_for_risk(inputs, 2, frozenset({1})) == pytest.approx(0.25)


_links = st.lists(
    st.tuples(st.integers(1, 6), st.sampled_from(["proposed", "implemented"]), st.floats(0, 1)),
    max_size=4,
    unique_by=lambda link: link[0],
)


@given(
    scenarios=st.lists(st.tuples(st.floats(0, 50), _links), min_size=1, max_size=6),
    base=st.frozensets(st.integers(1, 6)),
)
def test_each_controls_effect_from_its_own_scenarios_is_the_whole_risks_closed_form(
    scenarios: list[tuple[float, list[tuple[int, str, float]]]], base: frozenset[int]
) -> None:
    inputs = risk(
        *(
            scenario(n, rate, *(control(pk, status, effect, 1_000) for pk, status, effect in links))
            for n, (rate, links) in enumerate(scenarios, start=1)
        )
    )
    without = inputs.expected_annual_loss(Counted(only=base))
    for control_id, effect in effects_for_risk(inputs, range(1, 8), base).items():
        with_it = inputs.expected_annual_loss(Counted(only=base | {control_id}))
        whole = min(max(1 - with_it / without, 0.0), 1.0) if without and with_it is not None else 0.0
        assert effect == pytest.approx(whole, abs=1e-9)


# The recommendation ----------------------------------------------------------------------------------------


def test_the_plan_ranks_by_loss_removed_per_cost_and_stops_where_the_next_costs_more_than_it_saves() -> None:
    cheap = control(1, "proposed", 0.5, 10_000, "Rate limiting")  # removes 100,000 of 200,000
    dear = control(2, "proposed", 0.9, 150_000, "Rebuild checkout")  # then removes 90,000 for 150,000
    inputs = risk(scenario(1, 2, cheap, dear))
    advice = recommend(inputs, EUR)
    assert advice.projected_ale == pytest.approx(200_000)
    assert [each.control.title for each in advice.ranked] == ["Rate limiting", "Rebuild checkout"]
    assert [each.selected for each in advice.ranked] == [True, False]
    assert advice.plan is not None
    assert advice.plan.stop_reason == StopReason.NO_POSITIVE_RETURN
    assert advice.reason.startswith("Stop after “Rate limiting”: the next one, “Rebuild checkout”")
    assert "would remove €90,000 a year but costs €150,000" in advice.reason
    assert advice.gordon_loeb_cap == pytest.approx(200_000 / math.e)


def test_the_plan_stops_within_the_tolerance() -> None:
    first = control(1, "proposed", 0.6, 10_000, "Tokenise")
    second = control(2, "proposed", 0.5, 12_000, "Monitor")
    inputs = risk(scenario(1, 2, first, second), tolerance=100_000)
    advice = recommend(inputs, EUR)
    assert advice.plan is not None
    assert advice.plan.stop_reason == StopReason.WITHIN_APPETITE
    assert [each.control.title for each in advice.to_do] == ["Tokenise"]
    assert (
        "Stop after “Tokenise”: the expected annual loss is then €80,000, within the tolerance"
        in advice.reason
    )


def test_nothing_to_do_when_the_committed_controls_already_meet_the_tolerance() -> None:
    planned = control(1, "planned", 0.9, 10_000)
    extra = control(2, "proposed", 0.5, 1_000)
    advice = recommend(risk(scenario(1, 1, planned, extra), tolerance=50_000), EUR)
    assert advice.to_do == ()
    assert advice.reason.startswith("Nothing more to do")


def test_doing_everything_is_said_and_so_is_staying_above_the_tolerance() -> None:
    advice = recommend(risk(scenario(1, 10, control(1, "proposed", 0.5, 1_000)), tolerance=10_000), EUR)
    assert advice.plan is not None
    assert advice.plan.stop_reason == StopReason.EXHAUSTED
    assert advice.reason.startswith("Do all of them")
    assert "stays above the €10,000 at which the risk would meet its tolerance" in advice.reason


def test_controls_without_a_cost_are_named_to_be_priced_and_free_ones_to_be_done() -> None:
    unpriced = control(1, "proposed", 0.5, None, "Pen test")
    free = control(2, "proposed", 0.3, 0, "Turn on MFA")
    idle = control(3, "proposed", 0.0, 500, "Poster")
    advice = recommend(risk(scenario(1, 1, unpriced, free, idle)), EUR)
    assert [c.title for c in advice.unpriced] == ["Pen test"]
    assert [c.title for c in advice.free] == ["Turn on MFA"]
    assert [c.title for c in advice.useless] == ["Poster"]
    assert advice.ranked == ()
    assert "Give the other proposed controls a cost" in advice.reason
    assert "cost nothing" in advice.reason


def test_an_unscored_risk_has_nothing_to_plan() -> None:
    unscored = RiskInputs(risk_id=1, magnitude=None, impact=None, scenarios=(), scales=scales())
    advice = recommend(unscored, EUR)
    assert advice.projected_ale is None
    assert advice.plan is None
    assert advice.reason.startswith("Nothing to plan yet")
    assert advice.gordon_loeb_cap is None


def test_the_projected_stage_counts_planned_and_in_progress_controls() -> None:
    inputs = risk(scenario(1, 4, control(1, "planned", 0.5, 1), control(2, "in_progress", 0.5, 1)))
    assert inputs.expected_annual_loss(Counted(only=frozenset({1, 2}))) == pytest.approx(100_000)
    assert recommend(inputs, EUR).projected_ale == pytest.approx(100_000)


# Position against appetite ---------------------------------------------------------------------------------


def acceptance(status: str, expires_on: datetime.date) -> RiskAcceptance:
    return RiskAcceptance(status=status, expires_on=expires_on, rationale="")


TODAY = datetime.date(2030, 6, 1)


def test_a_level_above_the_appetite_level_is_above_appetite() -> None:
    position = position_of("high", None, scales())
    assert position.standing == Standing.ABOVE
    assert position.level_above


def test_a_chance_above_the_tolerance_is_above_appetite_whatever_the_level() -> None:
    position = position_of("low", 0.2, scales(tolerance=1_000_000, probability=0.1))
    assert position.standing == Standing.ABOVE
    assert position.tolerance_above
    assert not position.level_above
    assert position_of("low", 0.05, scales(tolerance=1_000_000, probability=0.1)).standing == Standing.WITHIN


def test_an_acceptance_in_force_accepts_and_an_expired_one_puts_it_back() -> None:
    in_force = AcceptanceState.of([acceptance(AcceptanceStatus.APPROVED, TODAY)], TODAY)
    accepted = position_of("very_high", None, scales(), in_force)
    assert accepted.standing == Standing.ACCEPTED
    assert accepted.accepted_until == TODAY
    assert accepted.above
    ran_out = AcceptanceState.of(
        [acceptance(AcceptanceStatus.APPROVED, TODAY - datetime.timedelta(days=1))], TODAY
    )
    back = position_of("very_high", None, scales(), ran_out)
    assert back.standing == Standing.ABOVE
    assert back.expired_on == TODAY - datetime.timedelta(days=1)
    waiting = AcceptanceState.of([acceptance(AcceptanceStatus.REQUESTED, TODAY)], TODAY)
    assert waiting.waiting is not None
    assert position_of("high", None, scales(), waiting).standing == Standing.ABOVE


def test_an_unscored_risk_is_neither_within_nor_above() -> None:
    assert position_of(None, None, scales()).standing == Standing.UNSCORED


# The chart and the words -----------------------------------------------------------------------------------


def test_the_chart_is_an_accessible_svg_on_a_log_scale_with_its_points_in_a_table() -> None:
    chart = loss_exceedance_chart(
        [Curve("Inherent", [(0, 0.9), (1_000, 0.5), (100_000, 0.01)], "inherent")],
        "EUR",
        title="Loss exceedance of R-1",
        marker=Marker("Tolerance", 50_000, 0.1),
    )
    svg = str(chart.svg)
    assert svg.startswith("<svg")
    assert "<title id=" in svg
    assert "<desc id=" in svg
    assert 'role="img"' in svg
    assert "€1 k" in svg
    assert "€100 k" in svg
    assert "Tolerance" in svg
    assert [row.amount for row in chart.rows] == ["€0", "€1,000", "€100,000"]
    assert chart.rows[1].chances == ["50 %"]
    assert not chart.empty


def test_the_chart_says_when_no_year_has_a_loss_and_escapes_its_labels() -> None:
    chart = loss_exceedance_chart([Curve("<b>x</b>", [(0, 0.0)], "residual")], "EUR", title="<R-1>")
    assert chart.empty
    assert "No simulated year has any loss" in str(chart.svg)
    assert "<R-1>" not in str(chart.svg)
    assert "&lt;R-1&gt;" in str(chart.svg)


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [(1234.5, "EUR", "€1,234"), (0, "USD", "$0"), (2_500_000, "CHF", "CHF 2,500,000"), (None, "EUR", "—")],
)
def test_money_is_written_in_whole_units_of_the_currency(
    amount: float | None, currency: str, written: str
) -> None:
    assert format_money(amount, currency) == written


def test_compact_amounts_and_chances() -> None:
    assert format_compact(1_500_000, "GBP") == "£1.5 m"
    assert format_compact(10_000, "EUR") == "€10 k"
    assert format_chance(0.123) == "12 %"
    assert format_chance(0.05) == "5 %"
    assert format_chance(0.0512) == "5.1 %"
    assert format_chance(0.0004) == "< 0.1 %"
    assert format_chance(0) == "0 %"


def test_the_tolerated_expected_loss_is_read_off_the_curve() -> None:
    """10 % chance of losing more than 2,000,000: the curve is exceeded with 10 % at 4,000,000 (log-midway
    between its points), so halving the expected loss would bring that amount to 2,000,000."""
    curve = [(1_000_000.0, 0.4), (4_000_000.0, 0.1), (16_000_000.0, 0.01)]
    assert tolerated_expected_loss(scales(2_000_000, 0.1), curve, 3_000_000) == pytest.approx(1_500_000)
    between = [(1_000_000.0, 0.3), (9_000_000.0, 0.0)]  # 10 % two thirds of the way: at 1,000,000 x 9^(2/3)
    assert tolerated_expected_loss(scales(2_000_000, 0.1), between, 1_000) == pytest.approx(
        1_000 * 2_000_000 / (1_000_000 * 9 ** (2 / 3))
    )


def test_a_risk_whose_any_loss_is_rarer_than_the_tolerance_is_within_it() -> None:
    assert tolerated_expected_loss(scales(2_000_000, 0.1), [(10.0, 0.05)], 500) == math.inf


def test_without_a_tolerance_there_is_no_tolerated_loss() -> None:
    assert tolerated_expected_loss(scales(None), [(10.0, 0.5)], 500) is None
    assert tolerated_expected_loss(scales(2_000_000, None), [(10.0, 0.5)], 500) is None

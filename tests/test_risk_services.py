"""The register's services (risks.services) and the adapter to the engines (risks.inputs): what they allow, what
they refuse by field, and the one rule by which levels and numbers agree."""

import datetime
import math
from collections.abc import Callable
from typing import Any

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from projects.models import ControlStatus, Project, Threat
from risks import inputs, services
from risks.inputs import Counted, Stage
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, RiskStatus, Scenario, ScoringSettings
from risks.scoring.distributions import Pert
from risks.scoring.levels import LEVELS, Level
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.risk_register import add_risk, link

TODAY = timezone.localdate


def days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def errors_of(action: Callable[[], object]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        action()
    return raised.value.message_dict


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def threat(project: Project) -> Threat:
    return ThreatFactory.create(project=project, likelihood="high")


def lead(cast: Cast) -> Any:
    return cast.membership(cast.security_lead)


# Scoring settings -----------------------------------------------------------------------------------------


def default_scale(name: str = "likelihood") -> list[dict[str, Any]]:
    source = inputs.DEFAULT_LIKELIHOOD_SCALE if name == "likelihood" else inputs.DEFAULT_IMPACT_SCALE
    return [dict(level) for level in source]


def test_the_first_save_stores_the_settings_one_version_past_the_defaults(cast: Cast) -> None:
    saved = services.settings_update(
        membership=lead(cast), version=1, currency="GBP", appetite_level="low", tolerance_amount=500_000
    )
    stored = ScoringSettings.objects.get(organisation=cast.organisation)
    assert (saved.pk, stored.version, stored.currency, stored.appetite_level) == (stored.pk, 2, "GBP", "low")
    assert stored.matrix == inputs.DEFAULT_MATRIX
    with pytest.raises(services.EditConflict):  # someone else still holding the defaults (version 1)
        services.settings_update(membership=cast.membership(cast.owner), version=1, currency="CHF")
    again = services.settings_update(membership=lead(cast), version=2, currency="USD")
    assert (again.version, ScoringSettings.objects.get().currency) == (3, "USD")


def test_settings_saved_from_a_stale_version_are_a_conflict(cast: Cast) -> None:
    services.settings_update(membership=lead(cast), version=1, currency="GBP")
    services.settings_update(membership=lead(cast), version=2, currency="USD")
    with pytest.raises(services.EditConflict):
        services.settings_update(membership=lead(cast), version=2, currency="CHF")
    with pytest.raises(services.EditConflict):  # a version from the future is no better
        services.settings_update(membership=lead(cast), version=3 + 5, currency="CHF")
    assert ScoringSettings.objects.get().currency == "USD"


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_security_leads_and_owners_change_scoring(role: str, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.settings_update(membership=cast.membership(getattr(cast, role)), version=1, currency="GBP")
    services.settings_update(membership=cast.membership(cast.owner), version=1, currency="GBP")


def _gap(scale: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scale[2]["low"] = 2  # "low" ends at 1
    return scale


def _open_middle(scale: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scale[2]["high"] = None
    return scale


def _backwards(scale: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scale[1]["high"], scale[2]["low"] = 0.05, 0.05  # "low" then runs from 0.1 down to 0.05
    return scale


def _nameless(scale: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scale[0]["name"] = "  "
    return scale


@pytest.mark.parametrize(
    "spoil",
    [_gap, _open_middle, _backwards, _nameless, lambda scale: scale[:4], lambda scale: "decades"],
    ids=["gap", "open middle", "backwards", "nameless", "four levels", "not a list"],
)
@pytest.mark.parametrize("name", ["likelihood_scale", "impact_scale"])
def test_scales_must_join_up_level_after_level(name: str, spoil: Any, cast: Cast) -> None:
    scale = spoil(default_scale(name.removesuffix("_scale")))
    assert name in errors_of(
        lambda: services.settings_update(membership=lead(cast), version=1, **{name: scale})
    )
    assert not ScoringSettings.objects.exists()


def test_a_scale_of_the_organisations_own_is_taken(cast: Cast) -> None:
    scale = [
        {"name": "Rare", "description": "Once in 20 years.", "low": 0, "high": 0.05},
        {"name": "Unlikely", "low": 0.05, "high": 0.5},
        {"name": "Possible", "low": 0.5, "high": 2},
        {"name": "Likely", "low": 2, "high": 12},
        {"name": "Certain", "low": 12, "high": None},
    ]
    services.settings_update(membership=lead(cast), version=1, likelihood_scale=scale)
    scales = inputs.Scales.of(inputs.settings_of(cast.organisation))
    assert scales.likelihood.edges == (0, 0.05, 0.5, 2, 12, math.inf)


@pytest.mark.parametrize(
    "matrix",
    [
        [["low"] * 5] * 4,
        [["low"] * 4] * 5,
        [["low"] * 5] * 4 + [["low", "low", "low", "low", "extreme"]],
        "nist",
        None,
    ],
    ids=["four rows", "four columns", "unknown level", "text", "none"],
)
def test_a_matrix_is_five_rows_of_five_levels(matrix: Any, cast: Cast) -> None:
    assert "matrix" in errors_of(
        lambda: services.settings_update(membership=lead(cast), version=1, matrix=matrix)
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tolerance_probability": 0}, "tolerance_probability"),
        ({"tolerance_probability": 100}, "tolerance_probability"),
        ({"tolerance_amount": 0}, "tolerance_amount"),
        ({"appetite_level": "extreme"}, "appetite_level"),
        ({"currency": "XYZ"}, "currency"),
    ],
)
def test_appetite_and_tolerance_are_checked_by_field(fields: dict[str, Any], field: str, cast: Cast) -> None:
    assert field in errors_of(lambda: services.settings_update(membership=lead(cast), version=1, **fields))


def test_saving_settings_schedules_one_recomputation(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        services.settings_update(membership=lead(cast), version=1, currency="GBP")
    assert len(callbacks) == 1


# Business risks -------------------------------------------------------------------------------------------


def test_risks_are_numbered_in_order_in_each_organisation(cast: Cast) -> None:
    numbers = [add_risk(cast, f"Risk {n}").number for n in range(3)]
    assert numbers == [1, 2, 3]
    services.risk_delete(membership=lead(cast), risk=BusinessRisk.objects.get(number=2), version=1)
    assert add_risk(cast, "Risk 4").number == 4  # a gap stays a gap
    assert BusinessRisk.objects.get(number=4).reference == "R-4"


def test_every_organisation_starts_its_own_numbering(cast: Cast) -> None:
    add_risk(cast, "Ours")
    outsiders = cast.outsider_organisation.memberships.get(user=cast.outsider)
    theirs = services.risk_create(membership=outsiders, title="Theirs", impact="low")
    assert theirs.number == 1


def test_the_owner_is_a_member_of_any_role(cast: Cast) -> None:
    assert add_risk(cast, "Viewer's", owner=cast.viewer).owner == cast.viewer
    assert errors_of(lambda: add_risk(cast, "Stranger's", owner=cast.outsider)) == {
        "owner": ["Choose a member of this organisation."]
    }
    risk = add_risk(cast, "Changed hands")
    assert "owner" in errors_of(
        lambda: services.risk_update(membership=lead(cast), risk=risk, version=1, owner=cast.outsider)
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"impact": "", "loss_low": 500, "loss_high": 100}, "loss_high"),
        ({"impact": "", "loss_low": 500, "loss_high": 500}, "loss_high"),
        ({"impact": "", "loss_low": 0, "loss_high": 100}, "loss_high"),
        ({"impact": ""}, "impact"),
        ({"impact": "catastrophic"}, "impact"),
        ({"categories": ["legal"]}, "categories"),
        ({"treatment": "ignore"}, "treatment"),
        ({"description": "x" * 5_001}, "description"),
        ({"description": "nul \x00 byte"}, "description"),
    ],
)
def test_a_risk_that_does_not_hold_together_is_refused_by_field(
    fields: dict[str, Any], field: str, cast: Cast
) -> None:
    assert field in errors_of(lambda: add_risk(cast, "Bad", **fields))
    assert not BusinessRisk.objects.exists()


@pytest.mark.parametrize("end", ["loss_low", "loss_high"])
def test_a_loss_range_has_both_ends(end: str, cast: Cast) -> None:
    assert "loss_high" in errors_of(lambda: add_risk(cast, "Half", impact="low", **{end: 500}))


def test_a_loss_range_alone_is_an_impact(cast: Cast) -> None:
    risk = add_risk(cast, "Fraud", impact="", loss_low=10_000, loss_high=1_000_000)
    assert (risk.loss_low, risk.loss_high, risk.impact) == (10_000, 1_000_000, "")


def test_a_risk_is_accepted_only_through_an_acceptance(cast: Cast) -> None:
    risk = add_risk(cast)
    assert "treatment" in errors_of(
        lambda: services.risk_update(membership=lead(cast), risk=risk, version=1, treatment="accept")
    )
    assert "status" in errors_of(
        lambda: services.risk_update(membership=lead(cast), risk=risk, version=1, status="accepted")
    )
    changed = services.risk_update(
        membership=lead(cast), risk=risk, version=1, treatment="transfer", treatment_detail="Cyber insurance"
    )
    assert (changed.treatment, changed.version) == ("transfer", 2)


@pytest.mark.parametrize("fields", [{"treatment": "accept"}, {"status": "accepted"}])
def test_a_new_risk_is_not_accepted_from_the_start(fields: dict[str, str], cast: Cast) -> None:
    assert set(fields) <= set(errors_of(lambda: add_risk(cast, "Pre-accepted", **fields)))


def test_a_risk_saved_from_a_stale_version_is_a_conflict(cast: Cast) -> None:
    risk = add_risk(cast)
    services.risk_update(membership=lead(cast), risk=risk, version=1, title="Renamed")
    stale = BusinessRisk.objects.get(pk=risk.pk)
    with pytest.raises(services.EditConflict):
        services.risk_update(membership=lead(cast), risk=stale, version=1, title="Mine")
    with pytest.raises(services.EditConflict):
        services.risk_delete(membership=lead(cast), risk=stale, version=1)
    assert BusinessRisk.objects.get(pk=risk.pk).title == "Renamed"


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_security_leads_and_owners_keep_the_register(role: str, cast: Cast) -> None:
    member = cast.membership(getattr(cast, role))
    with pytest.raises(PermissionDenied):
        services.risk_create(membership=member, title="Mine", impact="low")
    risk = add_risk(cast)
    with pytest.raises(PermissionDenied):
        services.risk_update(membership=member, risk=risk, version=1, title="x")
    with pytest.raises(PermissionDenied):
        services.risk_delete(membership=member, risk=risk, version=1)


def test_every_register_change_is_recorded_with_who_made_it(cast: Cast) -> None:
    risk = add_risk(cast)
    services.risk_update(membership=cast.membership(cast.owner), risk=risk, version=1, title="Renamed")
    events = pghistory.models.Events.objects.filter(pgh_obj_model="risks.BusinessRisk").order_by(
        "pgh_created_at"
    )
    assert [(e.pgh_label, e.pgh_context["user"]) for e in events] == [
        ("created", cast.security_lead.pk),
        ("updated", cast.owner.pk),
    ]


# Review dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "after"),
    [("very_high", 90), ("high", 90), ("moderate", 180), ("low", 360), ("very_low", 360), (None, 180)],
)
def test_review_is_due_by_level(level: str | None, after: int) -> None:
    today = datetime.date(2026, 1, 1)
    assert services.review_due(Level(level) if level else None, today) == today + datetime.timedelta(
        days=after
    )


@pytest.mark.parametrize(("impact", "after"), [("very_high", 90), ("moderate", 180), ("very_low", 360)])
def test_a_new_risk_is_reviewed_by_its_level_until_scenarios_score_it(
    impact: str, after: int, cast: Cast
) -> None:
    assert add_risk(cast, impact=impact).review_on == days(after)


def test_a_new_risk_given_only_money_is_reviewed_by_its_levels_range(cast: Cast) -> None:
    # A median of 3.2 million per event sits in "high" (1 to 10 million): 90 days.
    assert add_risk(cast, impact="", loss_low=1_000_000, loss_high=10_000_000).review_on == days(90)


def test_a_review_date_given_is_kept(cast: Cast) -> None:
    assert add_risk(cast, review_on=days(30)).review_on == days(30)


def test_the_default_review_follows_the_residual_level(cast: Cast, threat: Threat) -> None:
    """Scored by scenarios, the review follows the residual level: an implemented control that takes the
    likelihood from high to low takes the risk from high to low, so 360 days rather than 90."""
    risk = add_risk(cast, impact="high")
    link(cast, risk, threat)
    assert services._default_review(risk) == days(90)
    ThreatControlFactory.create(threat=threat, control__status=ControlStatus.IMPLEMENTED, effectiveness=99)
    assert services._default_review(risk) == days(360)


# Scenarios ------------------------------------------------------------------------------------------------


def test_a_security_lead_links_a_threat_of_any_team(cast: Cast) -> None:
    other = ThreatFactory.create(project=ProjectFactory.create(team=cast.other_team))
    scenario = link(cast, add_risk(cast), other)
    assert (scenario.risk.number, scenario.threat) == (1, other)


def test_an_engineer_links_their_own_teams_threats_only(cast: Cast, threat: Threat) -> None:
    risk = add_risk(cast)
    engineer = cast.membership(cast.engineer)
    services.scenario_create(membership=engineer, risk=risk, threat=threat, note="Replay → fraud")
    other = ThreatFactory.create(project=ProjectFactory.create(team=cast.other_team))
    with pytest.raises(PermissionDenied):
        services.scenario_create(membership=engineer, risk=risk, threat=other)
    with pytest.raises(PermissionDenied):
        services.scenario_create(membership=cast.membership(cast.viewer), risk=risk, threat=threat)
    assert list(Scenario.objects.values_list("threat", flat=True)) == [threat.pk]


def test_a_scenario_never_crosses_organisations(cast: Cast, threat: Threat) -> None:
    elsewhere = ThreatFactory.create(
        project=ProjectFactory.create(team__organisation=cast.outsider_organisation)
    )
    assert "threat" in errors_of(lambda: link(cast, add_risk(cast), elsewhere))
    outsiders = cast.outsider_organisation.memberships.get(user=cast.outsider)
    their_risk = services.risk_create(membership=outsiders, title="Theirs", impact="low")
    assert "threat" in errors_of(
        lambda: services.scenario_create(membership=outsiders, risk=their_risk, threat=threat)
    )
    assert not Scenario.objects.exists()


def test_a_threat_is_linked_to_a_risk_once(cast: Cast, threat: Threat) -> None:
    risk = add_risk(cast)
    link(cast, risk, threat)
    assert "threat" in errors_of(lambda: link(cast, risk, threat))


def test_unlinking_takes_the_right_to_link(cast: Cast, threat: Threat) -> None:
    scenario = link(cast, add_risk(cast), threat)
    with pytest.raises(PermissionDenied):
        services.scenario_delete(membership=cast.membership(cast.other_engineer), scenario=scenario)
    services.scenario_delete(membership=cast.membership(cast.engineer), scenario=scenario)
    assert not Scenario.objects.exists()


def test_the_threat_form_sets_its_risks_adding_and_removing_links(cast: Cast, threat: Threat) -> None:
    one, two, three = (add_risk(cast, f"Risk {n}") for n in range(3))
    engineer = cast.membership(cast.engineer)
    services.threat_risks_set(membership=engineer, threat=threat, risks=[one, two])
    assert set(threat.business_risks.values_list("number", flat=True)) == {1, 2}
    services.threat_risks_set(membership=engineer, threat=threat, risks=[two, three])
    assert set(threat.business_risks.values_list("number", flat=True)) == {2, 3}
    services.threat_risks_set(membership=engineer, threat=threat, risks=[])
    assert not threat.business_risks.exists()


def test_the_threat_form_names_only_this_organisations_risks(cast: Cast, threat: Threat) -> None:
    outsiders = cast.outsider_organisation.memberships.get(user=cast.outsider)
    theirs = services.risk_create(membership=outsiders, title="Theirs", impact="low")
    assert "business_risks" in errors_of(
        lambda: services.threat_risks_set(
            membership=lead(cast), threat=threat, risks=[add_risk(cast), theirs]
        )
    )
    with pytest.raises(PermissionDenied):
        services.threat_risks_set(membership=cast.membership(cast.viewer), threat=threat, risks=[])
    assert not Scenario.objects.exists()


# Acceptance -----------------------------------------------------------------------------------------------


def owned_risk(cast: Cast, owner: Any = None) -> BusinessRisk:
    return add_risk(cast, owner=owner or cast.viewer)


def request(cast: Cast, risk: BusinessRisk, expires_on: datetime.date | None = None) -> RiskAcceptance:
    return services.acceptance_request(
        membership=lead(cast),
        risk=risk,
        rationale="Fixed in the Q3 rewrite.",
        expires_on=expires_on or days(90),
    )


def test_a_security_lead_requests_and_the_owner_approves(cast: Cast) -> None:
    risk = owned_risk(cast)
    acceptance = request(cast, risk)
    assert (acceptance.status, acceptance.requested_by) == (AcceptanceStatus.REQUESTED, cast.security_lead)
    decided = services.acceptance_decide(
        membership=cast.membership(cast.viewer), acceptance=acceptance, version=1, approve=True, note="Agreed"
    )
    assert (decided.status, decided.decided_by, decided.decision_note) == ("approved", cast.viewer, "Agreed")
    assert decided.in_force(TODAY())
    risk.refresh_from_db()
    assert (risk.status, risk.treatment, risk.review_on, risk.version) == ("accepted", "accept", days(90), 2)


def test_a_declined_request_leaves_the_risk_as_it_was(cast: Cast) -> None:
    risk = owned_risk(cast)
    services.acceptance_decide(
        membership=cast.membership(cast.viewer), acceptance=request(cast, risk), version=1, approve=False
    )
    risk.refresh_from_db()
    assert (risk.status, risk.treatment, risk.version) == ("open", "mitigate", 1)


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_request_no_acceptance(role: str, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.acceptance_request(
            membership=cast.membership(getattr(cast, role)),
            risk=owned_risk(cast, cast.viewer),
            rationale="Please",
            expires_on=days(30),
        )


def test_a_request_needs_an_owner_a_rationale_and_an_expiry_within_three_years(cast: Cast) -> None:
    ownerless = add_risk(cast, "Nobody's")
    assert "risk" in errors_of(lambda: request(cast, ownerless))
    risk = owned_risk(cast)

    def asking(rationale: str, expires_on: datetime.date) -> Callable[[], object]:
        return lambda: services.acceptance_request(
            membership=lead(cast), risk=risk, rationale=rationale, expires_on=expires_on
        )

    assert set(errors_of(asking(" ", TODAY()))) == {"rationale", "expires_on"}
    assert "expires_on" in errors_of(asking("Fine", days(3 * 366 + 1)))
    assert request(cast, risk, days(3 * 366)).expires_on == days(3 * 366)


def test_a_risk_has_one_request_waiting_at_a_time(cast: Cast) -> None:
    risk = owned_risk(cast)
    request(cast, risk)
    assert "risk" in errors_of(lambda: request(cast, risk))


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "other_engineer"])
def test_nobody_but_the_risks_owner_decides(role: str, cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast, cast.viewer))
    with pytest.raises(PermissionDenied):
        services.acceptance_decide(
            membership=cast.membership(getattr(cast, role)), acceptance=acceptance, version=1, approve=True
        )
    assert RiskAcceptance.objects.get().status == AcceptanceStatus.REQUESTED


def test_an_engineer_who_owns_the_risk_decides(cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast, cast.engineer))
    services.acceptance_decide(
        membership=cast.membership(cast.engineer), acceptance=acceptance, version=1, approve=True
    )
    assert RiskAcceptance.objects.get().status == AcceptanceStatus.APPROVED


def test_a_request_is_decided_once_and_from_its_current_version(cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast))
    owner = cast.membership(cast.viewer)
    with pytest.raises(services.EditConflict):
        services.acceptance_decide(membership=owner, acceptance=acceptance, version=5, approve=True)
    assert acceptance.status == AcceptanceStatus.REQUESTED  # a refused decision leaves the object as it was
    services.acceptance_decide(membership=owner, acceptance=acceptance, version=1, approve=False)
    assert "status" in errors_of(
        lambda: services.acceptance_decide(membership=owner, acceptance=acceptance, version=2, approve=True)
    )


def test_the_decision_is_recorded_with_who_decided(cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast))
    services.acceptance_decide(
        membership=cast.membership(cast.viewer), acceptance=acceptance, version=1, approve=True, note="Agreed"
    )
    events = pghistory.models.Events.objects.filter(pgh_obj_model="risks.RiskAcceptance").order_by(
        "pgh_created_at"
    )
    assert [(e.pgh_label, e.pgh_context["user"], e.pgh_data["status"]) for e in events] == [
        ("created", cast.security_lead.pk, "requested"),
        ("updated", cast.viewer.pk, "approved"),
    ]
    assert events.last().pgh_data["decision_note"] == "Agreed"  # type: ignore[union-attr]


def test_the_requester_or_a_security_lead_withdraws_a_waiting_request(cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast))
    with pytest.raises(PermissionDenied):
        services.acceptance_withdraw(
            membership=cast.membership(cast.viewer), acceptance=acceptance, version=1
        )
    withdrawn = services.acceptance_withdraw(
        membership=cast.membership(cast.owner), acceptance=acceptance, version=1
    )
    assert withdrawn.status == AcceptanceStatus.WITHDRAWN
    assert "status" in errors_of(
        lambda: services.acceptance_withdraw(membership=lead(cast), acceptance=acceptance, version=2)
    )
    request(cast, BusinessRisk.objects.get())  # the risk may be asked again


def test_a_decided_request_is_not_withdrawn(cast: Cast) -> None:
    acceptance = request(cast, owned_risk(cast))
    services.acceptance_decide(
        membership=cast.membership(cast.viewer), acceptance=acceptance, version=1, approve=True
    )
    assert "status" in errors_of(
        lambda: services.acceptance_withdraw(membership=lead(cast), acceptance=acceptance, version=2)
    )


def test_expired_acceptances_reopen_their_risks(cast: Cast) -> None:
    lapsed, current = owned_risk(cast), add_risk(cast, "Still accepted", owner=cast.viewer)
    for risk in (lapsed, current):
        services.acceptance_decide(
            membership=cast.membership(cast.viewer), acceptance=request(cast, risk), version=1, approve=True
        )
    RiskAcceptance.objects.filter(risk=lapsed).update(expires_on=days(-1))
    assert services.acceptances_expire() == 1
    lapsed.refresh_from_db()
    current.refresh_from_db()
    assert (lapsed.status, current.status) == (RiskStatus.OPEN, RiskStatus.ACCEPTED)
    assert RiskAcceptance.objects.get(risk=lapsed).expired(TODAY())
    assert services.acceptances_expire() == 0  # once


def test_a_renewed_acceptance_keeps_the_risk_accepted(cast: Cast) -> None:
    risk = owned_risk(cast)
    owner = cast.membership(cast.viewer)
    first = request(cast, risk, days(10))
    services.acceptance_decide(membership=owner, acceptance=first, version=1, approve=True)
    services.acceptance_decide(
        membership=owner, acceptance=request(cast, risk, days(200)), version=1, approve=True
    )
    RiskAcceptance.objects.filter(pk=first.pk).update(expires_on=days(-1))
    assert services.acceptances_expire() == 0
    assert BusinessRisk.objects.get().status == RiskStatus.ACCEPTED


# Levels and numbers agree (risks.inputs) ------------------------------------------------------------------


SCALES = inputs.Scales.of(
    ScoringSettings(
        **{
            "likelihood_scale": inputs.DEFAULT_LIKELIHOOD_SCALE,
            "impact_scale": inputs.DEFAULT_IMPACT_SCALE,
            "matrix": inputs.DEFAULT_MATRIX,
        }
    )
)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("scale", [SCALES.likelihood, SCALES.impact], ids=["likelihood", "impact"])
def test_a_levels_range_maps_back_to_the_level(level: Level, scale: Any) -> None:
    stands_for = inputs.level_range(scale, level)
    assert scale.level_of(stands_for.mode) == level
    assert scale.level_of(stands_for.low) == level
    low, high = scale.range_of(level)
    assert stands_for.low == low
    assert stands_for.high == (high if math.isfinite(high) else low * 10)


@given(value=st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_a_number_maps_to_the_level_whose_range_holds_it(value: float) -> None:
    for scale in (SCALES.likelihood, SCALES.impact):
        low, high = scale.range_of(scale.level_of(value))
        assert low <= value < high


@given(
    low=st.floats(min_value=0, max_value=1e5),
    mode=st.floats(min_value=0, max_value=1e5),
    high=st.floats(min_value=0, max_value=1e5),
)
def test_a_frequency_range_takes_the_level_of_its_most_likely_value(
    low: float, mode: float, high: float
) -> None:
    low, mode, high = sorted((low, mode, high))
    threat = Threat(likelihood="very_low", frequency_min=low, frequency_mode=mode, frequency_max=high)
    assert inputs.likelihood_level_of(threat, SCALES) == SCALES.likelihood.level_of(mode)


def test_a_loss_interval_takes_the_level_of_its_median() -> None:
    # 20,000 to 2,000,000: median 200,000, moderate, though the range spans low to high.
    risk = BusinessRisk(impact="very_low", loss_low=20_000, loss_high=2_000_000)
    assert inputs.impact_level_of(risk, SCALES) == Level.MODERATE


def test_numbers_win_over_a_level_when_both_are_given() -> None:
    threat = Threat(likelihood="very_low", frequency_min=20, frequency_mode=50, frequency_max=90)
    assert inputs.likelihood_level_of(threat, SCALES) == Level.HIGH
    assert inputs.frequency_of(threat, SCALES) == Pert(20, 50, 90)


@pytest.mark.parametrize("level", LEVELS)
def test_a_risk_scored_from_levels_and_from_the_equal_numbers_gets_the_same_levels(
    level: Level, cast: Cast, project: Project
) -> None:
    likelihood = inputs.level_range(SCALES.likelihood, level)
    low, high = SCALES.impact.range_of(level)
    high = high if math.isfinite(high) else low * 10
    by_level = add_risk(cast, "By level", impact=level)
    by_numbers = add_risk(cast, "By numbers", impact="", loss_low=max(low, 1_000), loss_high=high)
    link(cast, by_level, ThreatFactory.create(project=project, likelihood=level))
    numbers = ThreatFactory.create(
        project=project,
        frequency_min=likelihood.low,
        frequency_mode=likelihood.mode,
        frequency_max=likelihood.high,
    )
    link(cast, by_numbers, numbers)
    found = {each.risk_id: each for each in inputs.risk_inputs(cast.organisation)}
    for stage in Stage:
        counted = Counted.stage(stage)
        assert found[by_level.pk].level(counted) == found[by_numbers.pk].level(counted) is not None
    assert found[by_level.pk].scenarios[0].likelihood == found[by_numbers.pk].scenarios[0].likelihood == level


def test_a_threat_without_a_likelihood_leaves_its_scenario_unscored(cast: Cast, project: Project) -> None:
    risk = add_risk(cast, impact="high")
    link(cast, risk, ThreatFactory.create(project=project))
    (found,) = inputs.risk_inputs(cast.organisation)
    assert (found.level(Counted.stage(Stage.RESIDUAL)), found.expected_annual_loss(Counted())) == (None, 0.0)


def test_a_risk_takes_the_worst_of_its_scenarios(cast: Cast, project: Project) -> None:
    risk = add_risk(cast, impact="high")
    for likelihood in ("low", "very_high", "moderate"):
        link(cast, risk, ThreatFactory.create(project=project, likelihood=likelihood))
    (found,) = inputs.risk_inputs(cast.organisation)
    # NIST: very high likelihood by high impact is high.
    assert found.level(Counted.stage(Stage.INHERENT)) == Level.HIGH


# Which controls each stage counts -------------------------------------------------------------------------


def test_each_stage_counts_its_controls(cast: Cast, threat: Threat) -> None:
    risk = add_risk(cast, impact="", loss_low=100_000, loss_high=1_000_000)
    link(cast, risk, threat)
    links = {
        status: ThreatControlFactory.create(threat=threat, control__status=status, effectiveness=50)
        for status in ControlStatus.values
    }
    (found,) = inputs.risk_inputs(cast.organisation)
    ids = {status: link.control_id for status, link in links.items()}

    def counted(stage: Stage) -> set[str]:
        scenario = found.scenarios[0]
        return {c.status for c in scenario.controls if Counted.stage(stage).counts(c)}

    assert counted(Stage.INHERENT) == set()
    assert counted(Stage.RESIDUAL) == {"implemented", "verified"}
    assert counted(Stage.PROJECTED) == {"implemented", "verified", "planned", "in_progress"}
    what_if = Counted(only=frozenset({ids["proposed"]}))
    assert {c.status for c in found.scenarios[0].controls if what_if.counts(c)} == {"proposed"}
    assert set(found.controls()) == set(ids.values())

    inherent = found.expected_annual_loss(Counted.stage(Stage.INHERENT))
    assert inherent is not None
    assert found.expected_annual_loss(Counted.stage(Stage.RESIDUAL)) == pytest.approx(inherent * 0.25)
    assert found.expected_annual_loss(Counted.stage(Stage.PROJECTED)) == pytest.approx(inherent * 0.5**4)
    assert found.expected_annual_loss(what_if) == pytest.approx(inherent * 0.5)


def test_controls_lower_the_likelihood_and_so_the_level(cast: Cast, threat: Threat) -> None:
    risk = add_risk(cast, impact="very_high")
    link(cast, risk, threat)  # high likelihood by very high impact: very high
    ThreatControlFactory.create(threat=threat, control__status=ControlStatus.VERIFIED, effectiveness=95)
    ThreatControlFactory.create(threat=threat, control__status=ControlStatus.PLANNED, effectiveness=95)
    (found,) = inputs.risk_inputs(cast.organisation)
    levels = [found.level(Counted.stage(stage)) for stage in Stage]
    # ~31.6 a year; x0.05 is ~1.6 (moderate by very high: high); x0.0025 is ~0.08 (very low by very high: low).
    assert levels == [Level.VERY_HIGH, Level.HIGH, Level.LOW]


def test_risk_inputs_cost_five_queries_however_many_risks(cast: Cast, project: Project) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            inputs.risk_inputs(cast.organisation)
        return len(captured)

    risk = add_risk(cast, "First")
    link(cast, risk, ThreatFactory.create(project=project, likelihood="low"))
    one = queries()
    for n in range(10):
        more = add_risk(cast, f"Risk {n}")
        threat = ThreatFactory.create(project=project, likelihood="high")
        ThreatControlFactory.create(threat=threat)
        link(cast, more, threat)
    assert queries() == one == 5


def test_the_fingerprint_moves_with_the_inputs_only(cast: Cast, threat: Threat) -> None:
    risk = add_risk(cast)
    link(cast, risk, threat)

    def fingerprint() -> str:
        return inputs.risk_inputs(cast.organisation)[0].fingerprint()

    before = fingerprint()
    BusinessRisk.objects.filter(pk=risk.pk).update(title="Renamed", description="Not an input")
    assert fingerprint() == before
    Threat.objects.filter(pk=threat.pk).update(likelihood="low")
    assert fingerprint() != before


def test_a_deleted_risks_number_is_never_given_again(cast: Cast) -> None:
    first, second = add_risk(cast, "First"), add_risk(cast, "Second")
    services.risk_delete(membership=lead(cast), risk=second, version=second.version)
    assert add_risk(cast, "Third").number == 3  # R-2 stays the deleted risk's name in old reports and links
    assert first.number == 1


@pytest.mark.parametrize("treatment", ["transfer", "avoid"])
def test_a_transfer_or_avoidance_says_how(treatment: str, cast: Cast) -> None:
    risk = add_risk(cast)
    assert "treatment_detail" in errors_of(
        lambda: services.risk_update(membership=lead(cast), risk=risk, version=1, treatment=treatment)
    )
    assert BusinessRisk.objects.get(pk=risk.pk).treatment == "mitigate"


def test_an_unlink_from_a_version_since_changed_is_a_conflict(cast: Cast, threat: Threat) -> None:
    scenario = link(cast, add_risk(cast), threat)
    Scenario.objects.filter(pk=scenario.pk).update(note="Changed since", version=2)
    with pytest.raises(services.EditConflict):
        services.scenario_delete(membership=lead(cast), scenario=scenario, version=1)
    assert Scenario.objects.filter(pk=scenario.pk).exists()
    services.scenario_delete(membership=lead(cast), scenario=scenario, version=2)
    assert not Scenario.objects.filter(pk=scenario.pk).exists()

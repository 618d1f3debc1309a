"""The business-risk register's REST API, under /api/v1/organisations/<org_slug>/: business risks with their
stored figures, their scenarios (threat-risk links) and acceptances, the scoring settings and the portfolio.

A second adapter over risks.register_selectors, risks.selectors and risks.services, with the protocol of the
workspace API (projects.api_workspace): 404 for anyone outside the organisation, 403 when the role (or, for an
acceptance's decision, being the risk's owner) does not allow it, 400 by field, a strong ETag on every object
("risk-12-v3") that If-Match must name to change or delete it (428 without one, before the body is read; 412
with the current object when it is stale), and a weak ETag on lists that answers 304 while it holds.

A risk's stored figures and a scenario's scores change when the engines recompute, without a new version of the
row, so a risk or scenario read is never answered 304: its ETag is for If-Match only. Stored figures say when
they were computed and whether the inputs changed since (`stale`).
"""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api import LARGEST_ID, ORG_SLUG, PersonSerializer, answers, max_length
from projects.api_access import organisation_membership
from projects.api_workspace import (
    ETAG,
    IF_MATCH,
    IF_NONE_MATCH,
    LARGEST_NUMBER,
    NOT_MODIFIED,
    PreconditionFailed,
    WorkspaceApiView,
    changes,
    choices_of,
    conflict,
    creates,
    deletes,
    etag,
    if_match_version,
    list_etag,
    lists,
    query_parameter,
    replaces,
    require_if_match,
    tagged,
    text,
    version_field,
)
from projects.models import Membership, Organisation, Threat, User, Versioned
from projects.roles import Permission
from projects.workspace_selectors import people_of
from risks import inputs, register, register_selectors, selectors, services
from risks.api import PercentilesSerializer, level_field
from risks.appetite import AcceptanceState, Standing, stored_position
from risks.inputs import Counted, Stage
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    Category,
    Currency,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    ScoringSettings,
    Treatment,
)
from risks.register_selectors import ACCEPTANCE_FILTERS, CELL_STAGES, RISK_ORDERINGS, UNSCORED, RiskFilters
from risks.selectors import StoredFigures
from risks.services import EditConflict

# Until an organisation saves its own scoring settings it has the defaults, which have no row yet.
DEFAULT_SCORING_ETAG = '"scoring-default-v1"'
MAX_MONEY = 10**15  # a quadrillion, as the risk calculator allows


# Fields ---------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
class OwnerField(serializers.Field):
    """A member of the organisation (any role), by user id."""

    default_error_messages = {
        "invalid": "Give the id of a member (a number), or null.",
        "missing": "This organisation has no member {value}.",
    }

    def to_internal_value(self, data: object) -> User:
        if not isinstance(data, int) or isinstance(data, bool) or not 0 < data <= LARGEST_ID:
            self.fail("invalid")
        user = people_of(self.context["membership"]).filter(pk=data).first()
        if user is None:
            self.fail("missing", value=data)
        return user

    def to_representation(self, value: User) -> int:
        return int(value.pk)


@extend_schema_serializer(component_name="ThreatReference")
class ThreatReferenceSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=LARGEST_ID, help_text="The project's id.")
    number = serializers.IntegerField(
        min_value=1, max_value=LARGEST_NUMBER, help_text="The threat's number in its project: 12 for T-12."
    )

    def validate(self, attrs: dict[str, Any]) -> Threat:
        threat = register_selectors.threat_in(self.context["organisation"], attrs["project"], attrs["number"])
        if threat is None:
            raise serializers.ValidationError(
                f"This organisation has no threat T-{attrs['number']} in project {attrs['project']}."
            )
        return threat


def money(help_text: str, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, max_value=MAX_MONEY, help_text=help_text, **kwargs
    )


def optional_money(help_text: str) -> serializers.DecimalField:
    return money(help_text, allow_null=True, default=None)


# Stored figures -------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="StageFigures")
class StageFiguresOutput(serializers.Serializer):
    level = level_field("risk", allow_null=True, help_text="From the matrix; null while unscored.")
    ale_mean = serializers.FloatField(help_text="The expected annual loss.")
    percentiles = PercentilesSerializer()
    p_loss = serializers.FloatField(help_text="The chance of any loss in a year, 0 to 1.")
    lec = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="The loss exceedance curve: pairs of an amount and the chance that a year's loss exceeds it.",
    )
    p_exceeding_tolerance = serializers.FloatField(
        allow_null=True,
        help_text="The chance of losing more than the tolerance amount in a year; null without a tolerance.",
    )


@extend_schema_serializer(component_name="StoredFigures")
class FiguresOutput(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices)
    computed_at = serializers.DateTimeField()
    stale = serializers.BooleanField(
        help_text="The inputs changed since these were computed: a recomputation is on its way."
    )
    inherent = StageFiguresOutput(help_text="No controls counted.")
    residual = StageFiguresOutput(help_text="Implemented and verified controls counted.")
    projected = StageFiguresOutput(help_text="Planned and in-progress controls counted as well.")


def figures_of(stored: StoredFigures | None, currency: str) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {"currency": currency, **dataclasses.asdict(stored)}


# Business risks -------------------------------------------------------------------------------------------


def with_figures(organisation: Organisation, risks: Sequence[BusinessRisk]) -> None:
    """Give each risk its stored figures (`figures`, None until first computed) and its position against
    appetite (`position`, from the stored residual figures and its acceptances), in a fixed number of queries."""
    ids = [risk.pk for risk in risks]
    stored = selectors.stored_figures(organisation, ids)
    scales = inputs.Scales.of(inputs.settings_of(organisation))
    acceptances = register.acceptances_by_risk(ids)
    today = timezone.localdate()
    for risk in risks:
        figures = stored.get(risk.pk)
        state = AcceptanceState.of(acceptances[risk.pk], today)
        setattr(risk, "figures", figures_of(figures, scales.currency))  # noqa: B010
        setattr(risk, "position", stored_position(figures, scales, state))  # noqa: B010


@extend_schema_serializer(component_name="AppetitePosition")
class PositionOutput(serializers.Serializer):
    standing = serializers.ChoiceField(
        choices=[(standing.value, standing.value.capitalize()) for standing in Standing],
        help_text="accepted while an approved acceptance is in force, whatever the figures.",
    )
    # Named as Position names it. DRF's metaclass takes declared fields off the class; mypy only sees the clash.
    label = serializers.CharField(help_text="As the pages say it.")  # type: ignore[assignment]
    above = serializers.BooleanField(
        help_text="The stored residual figures are above appetite, accepted or not: the level is above the "
        "highest acceptable one, or the chance of exceeding the tolerance amount is above the tolerance."
    )
    level_above = serializers.BooleanField()
    tolerance_above = serializers.BooleanField(
        allow_null=True, help_text="null: no tolerance, or no figures."
    )
    accepted_until = serializers.DateField(allow_null=True)
    expired_on = serializers.DateField(
        allow_null=True, help_text="The last acceptance ran out on this day, and none is in force."
    )


class RiskListOutput(serializers.ListSerializer):
    """A page of risks: their stored figures are read for the whole page at once."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if isinstance(data, QuerySet) else data)
        if rows:
            with_figures(rows[0].organisation, rows)
        return super().to_representation(rows)


@extend_schema_serializer(component_name="BusinessRisk")
class BusinessRiskOutput(serializers.Serializer):
    number = serializers.IntegerField()
    reference = serializers.CharField(help_text="The short id people use, e.g. R-12.")
    title = serializers.CharField()
    description = serializers.CharField()
    categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.choices))
    owner = PersonSerializer(allow_null=True)
    impact = level_field("impact", allow_blank=True, help_text="A level, or blank when given as money only.")
    loss_low = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, help_text="Loss per event, 5th percentile."
    )
    loss_high = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, help_text="Loss per event, 95th percentile."
    )
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    treatment_detail = serializers.CharField(help_text="How it is treated: the insurer, the contract, ...")
    status = serializers.ChoiceField(choices=RiskStatus.choices)
    review_on = serializers.DateField(allow_null=True, help_text="The next review.")
    scenario_count = serializers.IntegerField()
    figures = FiguresOutput(
        allow_null=True,
        read_only=True,
        help_text="What the engines last computed (stored); null until first computed.",
    )
    position = PositionOutput(
        read_only=True, help_text="Where it stands against the organisation's appetite."
    )
    version = serializers.IntegerField(help_text="Send it back in If-Match (as the ETag) to change this.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        list_serializer_class = RiskListOutput


@extend_schema_serializer(component_name="BusinessRiskWrite")
class RiskInput(serializers.Serializer):
    title = text(BusinessRisk, "title", required=True)
    description = serializers.CharField(
        max_length=max_length(BusinessRisk, "description"), allow_blank=True, default=""
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), max_length=len(Category) * 2, default=list
    )
    owner = OwnerField(allow_null=True, default=None, help_text="A member of any role, by user id.")
    impact = level_field(
        "impact", allow_blank=True, default="", help_text="A level; give it, or the loss per event, or both."
    )
    loss_low = optional_money("Loss per event, 5th percentile; with loss_high, or neither.")
    loss_high = optional_money("Loss per event, 95th percentile, above loss_low.")
    treatment = serializers.ChoiceField(
        choices=Treatment.choices,
        default=Treatment.MITIGATE,
        help_text="Accept is reached by an approved acceptance, not set here.",
    )
    treatment_detail = serializers.CharField(
        max_length=max_length(BusinessRisk, "treatment_detail"), allow_blank=True, default=""
    )
    status = serializers.ChoiceField(
        choices=choices_of(RiskStatus, "risk"),
        default=RiskStatus.OPEN,
        help_text="Accepted is reached by an approved acceptance, not set here.",
    )
    review_on = serializers.DateField(
        allow_null=True,
        default=None,
        help_text="Left out when adding a risk: 90 days for a high or very high residual level, 180 for "
        "moderate, 360 below.",
    )

    def validate_categories(self, value: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(value))


def _risk(membership: Membership, number: int) -> BusinessRisk:
    risk = register_selectors.risk_of(membership.organisation, number)
    with_figures(membership.organisation, [risk])
    return risk


def _context(membership: Membership) -> dict[str, Any]:
    return {"membership": membership, "organisation": membership.organisation}


class RegisterApiView(WorkspaceApiView):
    cacheable = True  # False: the representation changes without a new version, so never answer 304

    def show(self, request: Request, obj: Versioned, code: int = status.HTTP_200_OK) -> Response:
        if self.cacheable:
            return super().show(request, obj, code)
        return Response(self.OutputSerializer(obj).data, status=code, headers={"ETag": etag(obj)})


RISK_NUMBER = OpenApiParameter(
    "risk_number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The risk's number: 12 for R-12."
)
SCENARIO_ID = OpenApiParameter(
    "scenario_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The scenario's id."
)
ACCEPTANCE_ID = OpenApiParameter(
    "acceptance_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The acceptance's id."
)
LEVELS_API = [str(level) for level in inputs.Level]

RISK_FILTERS = [
    query_parameter(
        "category", "Only risks in these categories (repeat it for several).", Category.values, True
    ),
    query_parameter(
        "status", "Only risks in these statuses (repeat it for several).", RiskStatus.values, True
    ),
    query_parameter(
        "treatment", "Only risks with these treatments (repeat it for several).", Treatment.values, True
    ),
    query_parameter("owner", 'Only risks owned by this user (an id), or "none" for those without an owner.'),
    query_parameter(
        "level",
        f'Only risks whose stored residual level is one of these; "{UNSCORED}" for those not scored or not '
        "computed yet (repeat it for several).",
        [*inputs.Level, UNSCORED],
        True,
    ),
    query_parameter(
        "appetite",
        '"above": only risks whose residual figures are above appetite (level or tolerance) and not accepted.',
        ["above"],
    ),
    query_parameter("team", "Only risks that threats of this team's projects lead to (a team slug)."),
    query_parameter("project", "Only risks that threats of this project lead to (a project id)."),
    query_parameter("stage", "With likelihood and impact: the heat map's stage.", list(CELL_STAGES)),
    query_parameter(
        "likelihood",
        "With stage and impact: only risks whose worst scenario has this likelihood.",
        LEVELS_API,
    ),
    query_parameter(
        "impact", "With stage and likelihood: only risks whose worst scenario has this impact.", LEVELS_API
    ),
    query_parameter(
        "acceptance",
        "Only risks "
        + "; or ".join(f'"{name}", {meaning}' for name, meaning in ACCEPTANCE_FILTERS.items())
        + ".",
        list(ACCEPTANCE_FILTERS),
    ),
    query_parameter("q", "Search the title and description, or R-12."),
    query_parameter("order", "Sort order.", RISK_ORDERINGS),
]


def shows(operation: str, summary: str, output: Any) -> Any:
    """A read whose figures change without a new version: an ETag for If-Match, and never 304."""
    return extend_schema(
        operation_id=operation,
        summary=summary,
        parameters=[ETAG],
        responses=answers({200: output}, 404),
    )


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG])
class RiskListApi(RegisterApiView):
    OutputSerializer = BusinessRiskOutput

    @lists(
        "risk_list",
        "The organisation's business risks, with their stored figures",
        BusinessRiskOutput,
        RISK_FILTERS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        filters = RiskFilters.from_query(request.query_params)
        scales = inputs.Scales.of(inputs.settings_of(membership.organisation))
        risks = register_selectors.risks_of(membership.organisation, filters, scales)
        return self.paginated(request, risks, BusinessRiskOutput)

    @creates("risk_create", "Add a business risk", RiskInput, BusinessRiskOutput)
    def post(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.EDIT_RISK_REGISTER)
        fields = self.valid(request, RiskInput, **_context(membership))
        risk = services.risk_create(membership=membership, **fields)
        return self.show(request, _risk(membership, risk.number), status.HTTP_201_CREATED)


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER])
class RiskDetailApi(RegisterApiView):
    OutputSerializer = BusinessRiskOutput
    cacheable = False

    @shows("risk_retrieve", "A business risk, with its stored figures", BusinessRiskOutput)
    def get(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        return self.show(request, _risk(membership, risk_number))

    @replaces("risk_replace", "Replace a business risk", RiskInput, BusinessRiskOutput)
    def put(self, request: Request, org_slug: str, risk_number: int) -> Response:
        return self.change(request, org_slug, risk_number)

    @changes("risk_update", "Change a business risk", RiskInput, BusinessRiskOutput)
    def patch(self, request: Request, org_slug: str, risk_number: int) -> Response:
        return self.change(request, org_slug, risk_number)

    @deletes("risk_delete", "Delete a business risk, its scenarios and acceptances", BusinessRiskOutput)
    def delete(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.EDIT_RISK_REGISTER)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        self.guarded(
            request,
            risk,
            lambda: _risk(membership, risk_number),
            lambda version: services.risk_delete(membership=membership, risk=risk, version=version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def change(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.EDIT_RISK_REGISTER)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        fields = self.valid(request, RiskInput, **_context(membership))
        self.guarded(
            request,
            risk,
            lambda: _risk(membership, risk_number),
            lambda version: services.risk_update(membership=membership, risk=risk, version=version, **fields),
        )
        return self.show(request, _risk(membership, risk_number))


# Scenarios ------------------------------------------------------------------------------------------------


def _scores(risk: inputs.RiskInputs, scenario: inputs.ScenarioInput | None) -> dict[str, dict[str, Any]]:
    """A scenario's level and exact expected annual loss at each stage; None while it is not scored."""
    alone = dataclasses.replace(risk, scenarios=(scenario,)) if scenario is not None else None
    scored = alone is not None and alone.scored and alone.magnitude is not None
    return {
        stage: {
            "level": scenario.level(risk.scales, risk.impact, Counted.stage(stage)) if scenario else None,
            "expected_annual_loss": alone.expected_annual_loss(Counted.stage(stage))
            if alone and scored
            else None,
        }
        for stage in Stage
    }


def with_scores(risk: BusinessRisk, scenarios: Sequence[Scenario]) -> None:
    """Give each scenario its likelihood and what it scores now (`stages`), in a fixed number of queries."""
    (found,) = inputs.risk_inputs(risk.organisation, [risk.pk])
    by_id = {each.scenario_id: each for each in found.scenarios}
    for scenario in scenarios:
        each = by_id.get(scenario.pk)
        setattr(scenario, "likelihood", each.likelihood if each is not None else None)  # noqa: B010
        setattr(scenario, "stages", _scores(found, each))  # noqa: B010


class ScenarioListOutput(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if isinstance(data, QuerySet) else data)
        if rows:
            with_scores(rows[0].risk, rows)
        return super().to_representation(rows)


@extend_schema_serializer(component_name="ScenarioThreat")
class ScenarioThreatOutput(serializers.Serializer):
    project = serializers.IntegerField(source="project_id", help_text="The project's id.")
    project_name = serializers.CharField(source="project.name")
    number = serializers.IntegerField()
    reference = serializers.CharField(help_text="T-12.")
    statement = serializers.CharField()


@extend_schema_serializer(component_name="ScenarioStage")
class ScenarioStageOutput(serializers.Serializer):
    level = level_field(
        "risk", allow_null=True, help_text="From the matrix; null while the threat has no likelihood."
    )
    expected_annual_loss = serializers.FloatField(
        allow_null=True, help_text="Exact, in the organisation's currency; null while unscored."
    )


@extend_schema_serializer(component_name="ScenarioStages")
class ScenarioStagesOutput(serializers.Serializer):
    inherent = ScenarioStageOutput()
    residual = ScenarioStageOutput()
    projected = ScenarioStageOutput()


@extend_schema_serializer(component_name="Scenario")
class ScenarioOutput(serializers.Serializer):
    id = serializers.IntegerField()
    risk = serializers.IntegerField(source="risk.number", help_text="The business risk's number.")
    threat = ScenarioThreatOutput()
    note = serializers.CharField(help_text="How the threat leads to this risk.")
    likelihood = level_field(
        "likelihood", allow_null=True, read_only=True, help_text="The threat's, from its level or its range."
    )
    stages = ScenarioStagesOutput(read_only=True, help_text="What the scenario scores now, stage by stage.")
    version = serializers.IntegerField(help_text="Send it back in If-Match (as the ETag) to delete this.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        list_serializer_class = ScenarioListOutput


@extend_schema_serializer(component_name="ScenarioWrite")
class ScenarioInput(serializers.Serializer):
    threat = ThreatReferenceSerializer(help_text="A threat of any of the organisation's projects.")
    note = text(Scenario, "note")


def _scenario(risk: BusinessRisk, scenario_id: int) -> Scenario:
    scenario = register_selectors.scenario_of(risk, scenario_id)
    with_scores(risk, [scenario])
    return scenario


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER])
class ScenarioListApi(RegisterApiView):
    OutputSerializer = ScenarioOutput

    @lists("scenario_list", "The risk's scenarios: the threats that can cause it", ScenarioOutput)
    def get(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        return self.paginated(request, register_selectors.scenarios_of(risk), ScenarioOutput)

    @creates(
        "scenario_create",
        "Link a threat to the risk (security leads, or the threat's team)",
        ScenarioInput,
        ScenarioOutput,
    )
    def post(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        fields = self.valid(request, ScenarioInput, **_context(membership))
        scenario = services.scenario_create(membership=membership, risk=risk, **fields)
        return self.show(request, _scenario(risk, scenario.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER, SCENARIO_ID])
class ScenarioDetailApi(RegisterApiView):
    OutputSerializer = ScenarioOutput
    cacheable = False

    @shows("scenario_retrieve", "A scenario, with what it scores now", ScenarioOutput)
    def get(self, request: Request, org_slug: str, risk_number: int, scenario_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        return self.show(request, _scenario(risk, scenario_id))

    @deletes("scenario_delete", "Unlink the threat from the risk", ScenarioOutput)
    def delete(self, request: Request, org_slug: str, risk_number: int, scenario_id: int) -> Response:
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        scenario = register_selectors.scenario_of(risk, scenario_id)
        if not services.can_link(membership, scenario.threat):
            raise PermissionDenied(
                f"Only the {scenario.threat.project.team} team and security leads can unlink it."
            )

        def unlink(version: int) -> None:
            services.scenario_delete(membership=membership, scenario=scenario, version=version)

        self.guarded(request, scenario, lambda: _scenario(risk, scenario_id), unlink)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Acceptances ----------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="RiskAcceptance")
class AcceptanceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AcceptanceStatus.choices)
    rationale = serializers.CharField()
    expires_on = serializers.DateField()
    requested_by = PersonSerializer(allow_null=True)
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    in_force = serializers.SerializerMethodField(help_text="Approved and not run out: the risk is accepted.")
    expired = serializers.SerializerMethodField(
        help_text="Approved but run out: the risk is back to its residual position against appetite."
    )
    version = serializers.IntegerField(help_text="Send it back with a decision or a withdrawal.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_in_force(self, acceptance: RiskAcceptance) -> bool:
        return acceptance.in_force(timezone.localdate())

    def get_expired(self, acceptance: RiskAcceptance) -> bool:
        return acceptance.expired(timezone.localdate())


@extend_schema_serializer(component_name="RiskAcceptanceRequest")
class AcceptanceInput(serializers.Serializer):
    rationale = serializers.CharField(
        max_length=max_length(RiskAcceptance, "rationale"),
        help_text="Why the risk can be accepted as it stands.",
    )
    expires_on = serializers.DateField(help_text="After today, and at most three years ahead.")


@extend_schema_serializer(component_name="RiskAcceptanceDecision")
class DecisionInput(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true approves (the risk is accepted), false declines.")
    note = serializers.CharField(
        max_length=max_length(RiskAcceptance, "decision_note"), allow_blank=True, default=""
    )
    version = version_field()


@extend_schema_serializer(component_name="RiskAcceptanceWithdrawal")
class WithdrawalInput(serializers.Serializer):
    version = version_field()


def _acceptance(risk: BusinessRisk, acceptance_id: int) -> RiskAcceptance:
    acceptance = register_selectors.acceptance_of(risk, acceptance_id)
    acceptance.risk = risk
    return acceptance


def decides(operation: str, summary: str, request: Any, description: str) -> Any:
    return extend_schema(
        operation_id=operation,
        summary=summary,
        description=description,
        request=request,
        responses=answers(
            {200: AcceptanceOutput, 412: conflict(AcceptanceOutput, "RiskAcceptance")}, 400, 403, 404
        ),
    )


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER])
class AcceptanceListApi(RegisterApiView):
    OutputSerializer = AcceptanceOutput

    @lists("acceptance_list", "The risk's acceptance requests and decisions, newest first", AcceptanceOutput)
    def get(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        return self.paginated(request, register_selectors.acceptances_of(risk), AcceptanceOutput)

    @creates(
        "acceptance_create",
        "Ask the risk's owner to accept it as it stands (security leads and owners)",
        AcceptanceInput,
        AcceptanceOutput,
    )
    def post(self, request: Request, org_slug: str, risk_number: int) -> Response:
        membership = organisation_membership(request, org_slug, Permission.REQUEST_RISK_ACCEPTANCE)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        fields = self.valid(request, AcceptanceInput)
        acceptance = services.acceptance_request(membership=membership, risk=risk, **fields)
        return self.show(request, _acceptance(risk, acceptance.pk), status.HTTP_201_CREATED)


class AcceptanceChangeApi(RegisterApiView):
    OutputSerializer = AcceptanceOutput

    def change(
        self,
        request: Request,
        org_slug: str,
        risk_number: int,
        acceptance_id: int,
        input_serializer: type[serializers.Serializer],
        service: Callable[..., object],
    ) -> Response:
        """Run the service on the acceptance with the body's fields; 412 with the acceptance as it is now when
        the version sent is not current."""
        membership = organisation_membership(request, org_slug)
        risk = register_selectors.risk_of(membership.organisation, risk_number)
        acceptance = _acceptance(risk, acceptance_id)
        fields = self.valid(request, input_serializer)
        try:
            service(membership=membership, acceptance=acceptance, **fields)
        except EditConflict:
            now = _acceptance(risk, acceptance.pk)
            raise PreconditionFailed(AcceptanceOutput(now).data, etag(now)) from None
        return self.show(request, _acceptance(risk, acceptance.pk))


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER, ACCEPTANCE_ID])
class AcceptanceDecisionApi(AcceptanceChangeApi):
    @decides(
        "acceptance_decide",
        "Approve or decline an acceptance (the risk's owner, whatever their role)",
        DecisionInput,
        "Approved, the risk is accepted until the acceptance runs out, and its next review is that day.",
    )
    def post(self, request: Request, org_slug: str, risk_number: int, acceptance_id: int) -> Response:
        return self.change(
            request, org_slug, risk_number, acceptance_id, DecisionInput, services.acceptance_decide
        )


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG, RISK_NUMBER, ACCEPTANCE_ID])
class AcceptanceWithdrawalApi(AcceptanceChangeApi):
    @decides(
        "acceptance_withdraw",
        "Withdraw a request still waiting for the owner (its requester, or a security lead)",
        WithdrawalInput,
        "Only a request still waiting for the risk's owner can be withdrawn.",
    )
    def post(self, request: Request, org_slug: str, risk_number: int, acceptance_id: int) -> Response:
        return self.change(
            request, org_slug, risk_number, acceptance_id, WithdrawalInput, services.acceptance_withdraw
        )


# Scoring settings -----------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ScaleLevel")
class ScaleLevelSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    description = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="What the level means in business terms."
    )
    low = serializers.FloatField(min_value=0, max_value=MAX_MONEY, help_text="Where its range starts.")
    high = serializers.FloatField(
        min_value=0,
        max_value=MAX_MONEY,
        allow_null=True,
        default=None,
        help_text="Where it ends (the next level's low); null for no upper end, on the last level only.",
    )


def _scale(default: list[dict[str, Any]], help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=ScaleLevelSerializer(),
        min_length=5,
        max_length=5,
        default=lambda: [dict(level) for level in default],
        help_text=help_text,
    )


@extend_schema_serializer(component_name="ScoringSettings")
class ScoringOutput(serializers.Serializer):
    saved = serializers.SerializerMethodField(
        help_text="false: the defaults, until someone saves the organisation's own."
    )
    currency = serializers.ChoiceField(choices=Currency.choices)
    likelihood_scale = serializers.ListField(child=ScaleLevelSerializer(), help_text="Events a year.")
    impact_scale = serializers.ListField(child=ScaleLevelSerializer(), help_text="Money per event.")
    matrix = serializers.ListField(
        child=serializers.ListField(child=level_field("risk")),
        help_text="Five rows (likelihood, very low first) of five levels (impact, very low first).",
    )
    appetite_level = level_field("appetite", help_text="The highest acceptable residual level.")
    tolerance_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    tolerance_probability = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="In per cent."
    )
    version = serializers.IntegerField(help_text="Send the ETag back in If-Match to change these.")
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_saved(self, settings: ScoringSettings) -> bool:
        return settings.pk is not None


@extend_schema_serializer(component_name="ScoringSettingsWrite")
class ScoringInput(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.EUR)
    likelihood_scale = _scale(
        inputs.DEFAULT_LIKELIHOOD_SCALE,
        "Five levels of events a year, very low first, each starting where the previous one ends.",
    )
    impact_scale = _scale(
        inputs.DEFAULT_IMPACT_SCALE,
        "Five levels of money per event, very low first, each starting where the previous one ends.",
    )
    matrix = serializers.ListField(
        child=serializers.ListField(child=level_field("risk"), min_length=5, max_length=5),
        min_length=5,
        max_length=5,
        default=lambda: [list(row) for row in inputs.DEFAULT_MATRIX],
        help_text="Five rows (likelihood, very low first) of five levels (impact, very low first); NIST SP "
        "800-30 Table I-2 by default.",
    )
    appetite_level = level_field("appetite", default=inputs.Level.MODERATE)
    tolerance_amount = optional_money(
        "The annual-loss tolerance: at most tolerance_probability % chance of "
        "losing more than this in a year."
    )
    tolerance_probability = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        allow_null=True,
        default=None,
        help_text="In per cent, above 0 and below 100.",
    )

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        for name in ("likelihood_scale", "impact_scale"):
            if name in values:
                values[name] = [dict(level) for level in values[name]]
        return values


def _scoring_output(settings: ScoringSettings) -> Any:
    return ScoringOutput(settings).data


def scoring_etag(settings: ScoringSettings) -> str:
    return etag(settings) if settings.pk is not None else DEFAULT_SCORING_ETAG


def _scoring_version(request: Request, settings: ScoringSettings) -> int | None:
    if settings.pk is not None:
        return if_match_version(request, settings)
    return 1 if DEFAULT_SCORING_ETAG in require_if_match(request) else None


@extend_schema(tags=["scoring settings"], parameters=[ORG_SLUG])
class ScoringApi(RegisterApiView):
    @extend_schema(
        operation_id="scoring_retrieve",
        summary="How the organisation scores risk: scales, matrix, currency and appetite",
        parameters=[IF_NONE_MATCH, ETAG],
        responses=answers({200: ScoringOutput, 304: NOT_MODIFIED}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        settings = inputs.settings_of(membership.organisation)
        return tagged(request, _scoring_output(settings), scoring_etag(settings))

    @extend_schema(
        operation_id="scoring_replace",
        summary="Replace the scoring settings (security leads and owners)",
        description="Every field is set: those left out take their defaults. Until the organisation saves its "
        f"own, the defaults answer the ETag {DEFAULT_SCORING_ETAG}.",
        request=ScoringInput,
        parameters=[IF_MATCH, ETAG],
        responses=answers(
            {200: ScoringOutput, 412: conflict(ScoringOutput, "ScoringSettings")}, 400, 403, 404, 428
        ),
    )
    def put(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug, Permission.EDIT_SCORING)
        organisation = membership.organisation
        fields = self.valid(request, ScoringInput)
        settings = inputs.settings_of(organisation)
        version = _scoring_version(request, settings)
        try:
            if version is None:
                raise EditConflict(settings)
            settings = services.settings_update(membership=membership, version=version, **fields)
        except EditConflict:
            now = inputs.settings_of(organisation)
            raise PreconditionFailed(_scoring_output(now), scoring_etag(now)) from None
        return Response(_scoring_output(settings), headers={"ETag": scoring_etag(settings)})


# The portfolio --------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Portfolio")
class PortfolioOutput(serializers.Serializer):
    figures = FiguresOutput(
        allow_null=True,
        help_text="Every risk's annual losses added year by year, as last computed; null until first computed.",
    )


@extend_schema(tags=["business risks"], parameters=[ORG_SLUG])
class PortfolioApi(RegisterApiView):
    @extend_schema(
        operation_id="portfolio_retrieve",
        summary="The organisation's portfolio: all its business risks together",
        parameters=[IF_NONE_MATCH, ETAG],
        responses=answers({200: PortfolioOutput, 304: NOT_MODIFIED}, 404),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = organisation_membership(request, org_slug)
        organisation = membership.organisation
        stored = selectors.portfolio_figures(organisation)
        data = PortfolioOutput(
            {"figures": figures_of(stored, inputs.settings_of(organisation).currency)}
        ).data
        return tagged(request, data, list_etag(request, data))

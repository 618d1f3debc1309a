"""POST /api/v1/risk-calculator/: the risk calculator for people and scripts, as `manage.py risk_calc`.

Any signed-in member of an organisation may call it; it reads and writes no organisation data. The
scenario is read and validated by risks.scoring.scenario, the one place both adapters share; the
serializers below only document the request and the answer in the OpenAPI schema.
"""

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects import selectors
from projects.api import JsonApiView, answers
from projects.api_access import request_user
from projects.roles import Permission
from risks.scoring.calculator import calculate
from risks.scoring.cvss_scores import CvssSeverity
from risks.scoring.fair import LossModel
from risks.scoring.levels import Level
from risks.scoring.losses import PERCENTILES
from risks.scoring.owasp import (
    BUSINESS_IMPACT_FACTORS,
    FACTOR_MAX,
    FACTOR_MIN,
    LIKELIHOOD_FACTORS,
    TECHNICAL_IMPACT_FACTORS,
    OwaspLevel,
    Severity,
)
from risks.scoring.planner import StopReason
from risks.scoring.scenario import (
    DEFAULT_ITERATIONS,
    MAX_AMOUNT,
    MAX_CONTROLS,
    MAX_ITERATIONS,
    MAX_NAME_LENGTH,
    MAX_RATE,
    MAX_SEED,
    MAX_VECTOR_LENGTH,
    Method,
    ScenarioError,
)

# Every choice field labels its choices after what they rate ("Very low impact"). The labels show in the
# schema's descriptions, and they keep each field's choice set distinct, so drf-spectacular names one enum per
# field instead of warning that one set of values has several names.


def level_field(of: str, **kwargs: Any) -> serializers.ChoiceField:
    """A choice of the five levels, labelled after what they rate; the register's API uses it too."""
    return serializers.ChoiceField(
        choices=[(level.value, f"{level.value.replace('_', ' ').capitalize()} {of}") for level in Level],
        **kwargs,
    )


def _choices(values: Any, of: str, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=[(value.value, f"{value.value} {of}") for value in values], **kwargs
    )


def _method(method: Method) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=[m.value for m in Method], help_text=f'"{method.value}" for this shape.'
    )


def _amount(help_text: str, *, maximum: float = MAX_AMOUNT, **kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(min_value=0, max_value=maximum, help_text=help_text, **kwargs)


# The request, one shape per method.


@extend_schema_serializer(component_name="MatrixScenario")
class MatrixScenarioSerializer(serializers.Serializer):
    method = _method(Method.MATRIX)
    likelihood = level_field("likelihood")
    impact = level_field("impact")
    matrix = serializers.DictField(
        child=serializers.ListField(child=level_field("risk"), min_length=5, max_length=5),
        required=False,
        help_text="A lookup table to use instead of NIST SP 800-30 Table I-2: for each likelihood level, the "
        "five levels of risk for impact from very_low to very_high.",
    )


def _serializer(name: str, doc: str, fields: dict[str, serializers.Field]) -> type[serializers.Serializer]:
    """A serializer whose fields come from the engine's own list of names, so the two cannot drift apart."""
    serializer = type(f"{name}Serializer", (serializers.Serializer,), {"__doc__": doc, **fields})
    return extend_schema_serializer(component_name=name)(serializer)


OwaspFactorsSerializer = _serializer(
    "OwaspFactors",
    "Each factor from 0 to 9. The four business impact factors come together or not at all.",
    {
        name: serializers.FloatField(
            min_value=FACTOR_MIN, max_value=FACTOR_MAX, required=name not in BUSINESS_IMPACT_FACTORS
        )
        for name in LIKELIHOOD_FACTORS + TECHNICAL_IMPACT_FACTORS + BUSINESS_IMPACT_FACTORS
    },
)


@extend_schema_serializer(component_name="OwaspScenario")
class OwaspScenarioSerializer(serializers.Serializer):
    method = _method(Method.OWASP)
    factors = OwaspFactorsSerializer()


@extend_schema_serializer(component_name="CvssScenario")
class CvssScenarioSerializer(serializers.Serializer):
    method = _method(Method.CVSS)
    vector = serializers.CharField(
        max_length=MAX_VECTOR_LENGTH, help_text="A CVSS:3.1/... or CVSS:4.0/... vector."
    )


@extend_schema_serializer(component_name="FixedRate")
class FixedRateSerializer(serializers.Serializer):
    rate = _amount("Events per year.", maximum=MAX_RATE)


@extend_schema_serializer(component_name="ThreePointRange")
class ThreePointSerializer(serializers.Serializer):
    """A beta-PERT range: min <= mode <= max, mean (min + 4 mode + max) / 6. At most 1,000,000 for events
    per year."""

    min = _amount("The least.")
    mode = _amount("The most likely.")
    max = _amount("The most.")


@extend_schema_serializer(component_name="NinetyPercentInterval")
class IntervalSerializer(serializers.Serializer):
    """A lognormal with low and high at its 5th and 95th percentiles."""

    low = serializers.FloatField(max_value=MAX_AMOUNT, help_text="Money per event; more than 0.")
    high = serializers.FloatField(max_value=MAX_AMOUNT, help_text="Money per event; at least low.")


@extend_schema_serializer(component_name="FairControl")
class FairControlSerializer(serializers.Serializer):
    effectiveness = serializers.FloatField(
        min_value=0, max_value=1, help_text="The fraction of the rate it removes."
    )
    name = serializers.CharField(required=False, max_length=MAX_NAME_LENGTH)


@extend_schema_serializer(component_name="FairScenario")
class FairScenarioSerializer(serializers.Serializer):
    method = _method(Method.FAIR)
    frequency = PolymorphicProxySerializer(
        component_name="Frequency",
        serializers=[FixedRateSerializer, ThreePointSerializer],
        resource_type_field_name=None,
        help_text="Events per year: a rate, or a three-point range.",
    )
    magnitude = PolymorphicProxySerializer(
        component_name="Magnitude",
        serializers=[IntervalSerializer, ThreePointSerializer],
        resource_type_field_name=None,
        help_text="Money lost per event: a 90 % interval, or a three-point range.",
    )
    controls = serializers.ListField(child=FairControlSerializer(), required=False, max_length=MAX_CONTROLS)
    iterations = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ITERATIONS, help_text=f"Default {DEFAULT_ITERATIONS:,}."
    )
    seed = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_SEED, help_text="Chosen at random when not given."
    )
    model = serializers.ChoiceField(
        choices=[m.value for m in LossModel],
        required=False,
        help_text="poisson (default): Poisson events, each loss drawn; expected: rate x one magnitude draw.",
    )
    exceeding = _amount(
        "An amount of money: the answer then gives the probability that a year's loss exceeds it.",
        required=False,
    )


@extend_schema_serializer(component_name="CandidateControl")
class CandidateControlSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    cost = serializers.FloatField(max_value=MAX_AMOUNT, help_text="Money per year; more than 0.")
    effectiveness = serializers.FloatField(min_value=0, max_value=1)


@extend_schema_serializer(component_name="PlanScenario")
class PlanScenarioSerializer(serializers.Serializer):
    method = _method(Method.PLAN)
    ale = _amount("The expected annual loss to reduce.")
    appetite = _amount("An acceptable residual annual loss.", required=False)
    budget = _amount("Money per year to spend at most.", required=False)
    controls = serializers.ListField(child=CandidateControlSerializer(), max_length=MAX_CONTROLS)


# The answer, one shape per method.


@extend_schema_serializer(component_name="MatrixResult")
class MatrixResultSerializer(serializers.Serializer):
    method = _method(Method.MATRIX)
    likelihood = level_field("likelihood")
    impact = level_field("impact")
    level = level_field("risk")


@extend_schema_serializer(component_name="OwaspResult")
class OwaspResultSerializer(serializers.Serializer):
    method = _method(Method.OWASP)
    likelihood = serializers.FloatField()
    likelihood_level = _choices(OwaspLevel, "likelihood")
    technical_impact = serializers.FloatField()
    technical_impact_level = _choices(OwaspLevel, "technical impact")
    business_impact = serializers.FloatField(allow_null=True)
    business_impact_level = _choices(OwaspLevel, "business impact", allow_null=True)
    severity = _choices(Severity, "severity", help_text="From business impact when given, else technical.")
    technical_severity = _choices(Severity, "severity from technical impact")


@extend_schema_serializer(component_name="CvssResult")
class CvssResultSerializer(serializers.Serializer):
    method = _method(Method.CVSS)
    version = serializers.ChoiceField(choices=["3.1", "4.0"])
    base_score = serializers.FloatField()
    severity = _choices(CvssSeverity, "CVSS severity")
    suggested_likelihood = level_field(
        "likelihood, suggested",
        help_text="A starting point only: the engineer's choice of likelihood prevails.",
    )


PercentilesSerializer = _serializer(
    "Percentiles", "Annual loss at each percentile.", {f"p{q}": serializers.FloatField() for q in PERCENTILES}
)


@extend_schema_serializer(component_name="LossSummary")
class LossSummarySerializer(serializers.Serializer):
    ale_mean = serializers.FloatField(help_text="Simulated mean annual loss.")
    percentiles = PercentilesSerializer()
    p_loss = serializers.FloatField(help_text="Share of simulated years with any loss.")
    lec = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="Loss exceedance curve: [amount, probability that a year's loss exceeds it], amounts rising.",
    )
    p_exceeding = serializers.FloatField(
        required=False,
        help_text="When the scenario gave `exceeding`: the share of years whose loss exceeds it.",
    )


@extend_schema_serializer(component_name="FairResult")
class FairResultSerializer(LossSummarySerializer):
    """Residual loss (after the controls) at the top level; inherent loss, from the same years, below."""

    method = _method(Method.FAIR)
    model = serializers.ChoiceField(choices=[m.value for m in LossModel])
    iterations = serializers.IntegerField()
    seed = serializers.IntegerField(help_text="Give it back to get the same numbers.")
    inherent = LossSummarySerializer()


STOP_REASONS = [
    (StopReason.WITHIN_APPETITE.value, "The residual annual loss is within the appetite"),
    (StopReason.NO_POSITIVE_RETURN.value, "No remaining control removes more loss than it costs"),
    (StopReason.BUDGET.value, "No remaining worthwhile control fits in the budget left"),
    (StopReason.EXHAUSTED.value, "Every candidate was chosen"),
]


@extend_schema_serializer(component_name="PlannedControl")
class PlannedControlSerializer(serializers.Serializer):
    name = serializers.CharField()
    cost = serializers.FloatField()
    effectiveness = serializers.FloatField()
    delta_ale = serializers.FloatField(help_text="Expected annual loss it removes after the ones before it.")
    rosi = serializers.FloatField(help_text="Return on security investment: (delta_ale - cost) / cost.")
    selected = serializers.BooleanField()


@extend_schema_serializer(component_name="PlanResult")
class PlanResultSerializer(serializers.Serializer):
    method = _method(Method.PLAN)
    controls = PlannedControlSerializer(many=True, help_text="Selected in order of choice, then the rest.")
    stop_reason = serializers.ChoiceField(choices=STOP_REASONS)
    ale = serializers.FloatField()
    residual_ale = serializers.FloatField()
    total_cost = serializers.FloatField()
    gordon_loeb_cap = serializers.FloatField(help_text="ale / e: the ceiling of sensible yearly spend.")


SCENARIO_SERIALIZERS: dict[str, serializers.Serializer | type[serializers.Serializer]] = {
    Method.MATRIX.value: MatrixScenarioSerializer,
    Method.OWASP.value: OwaspScenarioSerializer,
    Method.CVSS.value: CvssScenarioSerializer,
    Method.FAIR.value: FairScenarioSerializer,
    Method.PLAN.value: PlanScenarioSerializer,
}
RESULT_SERIALIZERS: dict[str, serializers.Serializer | type[serializers.Serializer]] = {
    Method.MATRIX.value: MatrixResultSerializer,
    Method.OWASP.value: OwaspResultSerializer,
    Method.CVSS.value: CvssResultSerializer,
    Method.FAIR.value: FairResultSerializer,
    Method.PLAN.value: PlanResultSerializer,
}


def scenario_error_detail(error: ScenarioError) -> dict[str, Any]:
    """The problems as the API's field errors, nested by path; the message lists them all."""
    detail: dict[str, Any] = {"non_field_errors": [str(error)]}
    for problem in error.problems:
        if not problem.path:
            continue
        node = detail
        *parents, leaf = (str(part) for part in problem.path)
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a message already stands here: keep the full path instead
                node, leaf = detail, problem.field
                break
            node = child
        node.setdefault(leaf, []).append(problem.message)
    return detail


@extend_schema(tags=["risk calculator"])
class RiskCalculatorApi(JsonApiView):
    @extend_schema(
        operation_id="risk_calculate",
        summary="Score one risk scenario",
        description="The same calculator as `manage.py risk_calc`. `method` chooses the engine: matrix, "
        "owasp, cvss, fair (Monte Carlo) or plan (the control planner).",
        request=PolymorphicProxySerializer(
            component_name="RiskScenario", serializers=SCENARIO_SERIALIZERS, resource_type_field_name="method"
        ),
        responses=answers(
            {
                200: PolymorphicProxySerializer(
                    component_name="RiskResult",
                    serializers=RESULT_SERIALIZERS,
                    resource_type_field_name="method",
                )
            },
            400,
            403,
        ),
    )
    def post(self, request: Request) -> Response:
        user = request_user(request)
        if not any(m.can(Permission.READ) for m in selectors.memberships_of(user)):
            raise exceptions.PermissionDenied("The risk calculator is for members of an organisation.")
        try:
            return Response(calculate(request.data))
        except ScenarioError as error:
            raise exceptions.ValidationError(scenario_error_detail(error)) from None

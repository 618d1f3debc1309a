"""Business risks for tests: made through risks.services as a security lead would, and stored results written
as risks.results stores them, so reads can be tested without running the engines."""

import datetime
from typing import Any

from django.utils import timezone

from projects.models import Organisation, Threat
from risks import inputs, services
from risks.models import BusinessRisk, PortfolioResult, RiskResult, Scenario
from risks.selectors import StageFigures
from tests.conftest import Cast


def add_risk(cast: Cast, title: str = "Card data exposed", **fields: Any) -> BusinessRisk:
    fields.setdefault("impact", "high")
    return services.risk_create(membership=cast.membership(cast.security_lead), title=title, **fields)


def link(cast: Cast, risk: BusinessRisk, threat: Threat) -> Scenario:
    return services.scenario_create(membership=cast.membership(cast.security_lead), risk=risk, threat=threat)


def stage(level: str | None, ale: float) -> dict[str, Any]:
    return StageFigures(
        level=level,
        ale_mean=ale,
        percentiles={"p10": 0.0, "p50": ale / 2, "p90": ale * 2, "p95": ale * 3, "p99": ale * 5},
        p_loss=0.4,
        lec=[(0.0, 0.4), (ale, 0.2), (ale * 10, 0.01)],
        p_exceeding_tolerance=None,
    ).to_json()


def figures(residual_level: str | None = "high", ale: float = 100_000.0) -> dict[str, Any]:
    return {
        "inherent": stage("very_high" if residual_level else None, ale * 4),
        "residual": stage(residual_level, ale),
        "projected": stage("low" if residual_level else None, ale / 4),
    }


def store_result(
    risk: BusinessRisk, residual_level: str | None = "high", *, current: bool = True
) -> RiskResult:
    """A stored result for the risk; `current` False stores it for other inputs, so it reads as stale."""
    found = inputs.risk_inputs(risk.organisation, [risk.pk])
    fingerprint = found[0].fingerprint() if current else "inputs-of-yesterday"
    result, _ = RiskResult.objects.update_or_create(
        risk=risk,
        defaults={
            "fingerprint": fingerprint,
            "computed_at": timezone.now() - datetime.timedelta(minutes=5),
            "iterations": inputs.ITERATIONS,
            "seed": 1,
            "figures": figures(residual_level),
        },
    )
    return result


def store_portfolio(organisation: Organisation, *, current: bool = True) -> PortfolioResult:
    fingerprints = (each.fingerprint() for each in inputs.risk_inputs(organisation))
    fingerprint = inputs.portfolio_fingerprint(fingerprints) if current else "old"
    result, _ = PortfolioResult.objects.update_or_create(
        organisation=organisation,
        defaults={
            "fingerprint": fingerprint,
            "computed_at": timezone.now(),
            "iterations": inputs.ITERATIONS,
            "seed": 1,
            "figures": figures("high", 250_000.0),
        },
    )
    return result

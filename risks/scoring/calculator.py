"""The risk calculator: one JSON scenario in, one JSON result out, for `manage.py risk_calc` and the API.

Levels and severities come out as lower-case snake_case; money and rates as plain numbers. An invalid
scenario raises ScenarioError (see risks.scoring.scenario), whose problems name their fields.
"""

from typing import Any

from risks.scoring.cvss_scores import suggested_likelihood
from risks.scoring.fair import simulate_risk
from risks.scoring.losses import LossDistribution
from risks.scoring.owasp import rate
from risks.scoring.planner import plan_controls
from risks.scoring.scenario import (
    CvssScenario,
    FairScenario,
    MatrixScenario,
    OwaspScenario,
    ParsedScenario,
    PlanScenario,
    parse_scenario,
)

type Result = dict[str, Any]


def calculate(data: object) -> Result:
    return evaluate(parse_scenario(data))


def evaluate(scenario: ParsedScenario) -> Result:
    match scenario:
        case MatrixScenario(likelihood=likelihood, impact=impact, matrix=matrix):
            return {
                "method": "matrix",
                "likelihood": likelihood.value,
                "impact": impact.value,
                "level": matrix.level(likelihood, impact).value,
            }
        case OwaspScenario(factors=factors):
            rating = rate(factors)
            return {
                "method": "owasp",
                "likelihood": rating.likelihood,
                "likelihood_level": rating.likelihood_level.value,
                "technical_impact": rating.technical_impact,
                "technical_impact_level": rating.technical_impact_level.value,
                "business_impact": rating.business_impact,
                "business_impact_level": rating.business_impact_level and rating.business_impact_level.value,
                "severity": rating.severity.value,
                "technical_severity": rating.technical_severity.value,
            }
        case CvssScenario(score=score):
            return {
                "method": "cvss",
                "version": score.version,
                "base_score": score.base_score,
                "severity": score.severity.value,
                "suggested_likelihood": suggested_likelihood(score).value,
            }
        case FairScenario(risk=risk, iterations=iterations, seed=seed, model=model, exceeding=exceeding):
            losses = simulate_risk(risk, iterations=iterations, seed=seed, model=model)
            return {
                "method": "fair",
                "model": model.value,
                "iterations": iterations,
                "seed": seed,
                **_summary(losses.residual, exceeding),
                "inherent": _summary(losses.inherent, exceeding),
            }
        case PlanScenario(ale=ale, appetite=appetite, budget=budget, controls=controls):
            plan = plan_controls(ale, controls, appetite=appetite, budget=budget)
            return {
                "method": "plan",
                "controls": [
                    {
                        "name": c.name,
                        "cost": c.cost,
                        "effectiveness": c.effectiveness,
                        "delta_ale": c.delta_ale,
                        "rosi": c.rosi,
                        "selected": c.selected,
                    }
                    for c in plan.controls
                ],
                "stop_reason": plan.stop_reason.value,
                "ale": plan.ale,
                "residual_ale": plan.residual_ale,
                "total_cost": plan.total_cost,
                "gordon_loeb_cap": plan.gordon_loeb_cap,
            }


def _summary(losses: LossDistribution, exceeding: float | None) -> Result:
    summary: Result = {
        "ale_mean": losses.ale_mean,
        "percentiles": losses.percentiles,
        "p_loss": losses.p_loss,
        "lec": [[amount, probability] for amount, probability in losses.exceedance_curve],
    }
    if exceeding is not None:
        summary["p_exceeding"] = losses.p_exceeding(exceeding)
    return summary

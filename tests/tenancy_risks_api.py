"""Write routes of the business-risk register (API) for the tenant-isolation walk; see tests/tenancy.py.

WRITES_WITH_REFERENCES: route name -> the body to send, naming B's objects where a body can name objects, so the
walk sees them refused. WRITES_WITHOUT_REFERENCES: route name -> why its body names no other object.
"""

from tests.tenancy import BodyFn, World


def _risk(a: World, b: World) -> dict[str, object]:
    return {"title": "Alpha fines", "impact": "low", "owner": b.actor.pk}


WRITES_WITH_REFERENCES: dict[str, BodyFn] = {
    "api_risk_list": _risk,
    "api_risk_detail": _risk,
    # B's project and threat, named in the body of a link to A's risk.
    "api_scenario_list": lambda a, b: {"threat": {"project": b.project.pk, "number": b.threat.number}},
}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {
    "api_scenario_detail": "no body: a DELETE of the scenario in the URL",
    "api_acceptance_list": "a rationale and a date only; the risk is in the URL",
    "api_acceptance_decision": "a choice, a note and a version only; the acceptance is in the URL",
    "api_acceptance_withdrawal": "a version only; the acceptance is in the URL",
    "api_scoring": "scales, a matrix of level names, a currency and the appetite: no object",
}

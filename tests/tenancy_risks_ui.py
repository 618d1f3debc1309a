"""Write routes of the business-risk register (pages) for the tenant-isolation walk; see tests/tenancy.py.

WRITES_WITH_REFERENCES: route name -> the body to send, naming B's objects where a body can name objects, so the
walk sees them refused. WRITES_WITHOUT_REFERENCES: route name -> why its body names no other object.
"""

from tests.tenancy import BodyFn

WRITES_WITH_REFERENCES: dict[str, BodyFn] = {
    "risk_create": lambda a, b: {
        "title": "Another business risk",
        "impact": "high",
        "treatment": "mitigate",
        "status": "open",
        "owner": b.actor.pk,
    },
    "risk_edit": lambda a, b: {
        "version": a.risk.version,
        "title": a.risk.title,
        "impact": a.risk.impact,
        "treatment": a.risk.treatment,
        "status": a.risk.status,
        "owner": b.actor.pk,
    },
    # The threat is named by its id, unique across organisations: B's is not among A's threats.
    "scenario_create": lambda a, b: {"threat": b.threat.pk, "note": "B's threat"},
}

WRITES_WITHOUT_REFERENCES: dict[str, str] = {
    "risk_delete": "a version only",
    "scenario_delete": "no body; the risk and the scenario are in the URL",
    "acceptance_request": "a rationale and a date only",
    "acceptance_decide": "a version, a decision and a note",
    "acceptance_withdraw": "a version only",
    "scoring_settings": "scales, a matrix, a currency and appetite figures: numbers and level names only",
    "snapshot_take": "no body; it snapshots the member's own organisation",
}

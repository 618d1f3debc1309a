"""Write declarations for the API's reviews, comments and notifications, merged into the tenant-isolation walk.

See tests/tenancy.py: every route that accepts a write is listed in one of these two dicts. Their parameters come
from tenancy.PARAMS (org_slug, project_id, threat_number, control_id, risk_number, comment_id,
notification_id).
"""

from tests.tenancy import BodyFn, World


def _decide_threats(a: World, b: World) -> dict[str, object]:
    """A's threat and B's, each named by its project and number: B's names nothing, so nothing is decided."""
    return {
        "threats": [
            {"project": a.project.pk, "number": a.threat.number, "version": a.threat.version},
            {"project": b.project.pk, "number": b.threat.number, "version": b.threat.version},
        ],
        "decision": "confirmed",
    }


WRITES_WITH_REFERENCES: dict[str, BodyFn] = {
    "api_review_threats_decide": _decide_threats,
}

COMMENT = "a comment's text; its @mentions are looked up among the organisation's members only"

WRITES_WITHOUT_REFERENCES: dict[str, str] = {
    "api_review_threat_decide": "a decision, a comment and a version; the threat is the URL's",
    "api_model_review_submit": "a note only; the project is the URL's",
    "api_model_review_decide": "a decision, a comment and the digest seen; the project is the URL's",
    "api_model_review_withdraw": "a note only; the project is the URL's",
    "api_project_comment_list": COMMENT,
    "api_threat_comment_list": COMMENT,
    "api_control_comment_list": COMMENT,
    "api_risk_comment_list": COMMENT,
    "api_comment_detail": COMMENT,
    "api_notification_read": "no body: the notification is the member's own, named in the URL",
    "api_notification_read_all": "no body: the member's own notifications",
    "api_notification_preferences": "an e-mail mode and kinds of notification; it names no object",
}

"""Reviews for tests: threats in review, and a queue filled for the query budgets of its page and its API."""

from typing import Any

from projects import review_services as services
from projects.models import Project, Threat, ThreatStatus
from projects.review_models import ThreatReview
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory


def in_review(project: Project, count: int = 1, **fields: Any) -> list[Threat]:
    return ThreatFactory.create_batch(count, project=project, status=ThreatStatus.IN_REVIEW, **fields)


def fill_queue(cast: Cast, count: int) -> None:
    """`count` threats in review, shared between a project of each team, each with a past decision and an asset
    it impacts; and `count` models waiting, each submitted by the engineer."""
    projects = [ProjectFactory.create(team=team) for team in (cast.team, cast.other_team)]
    for n in range(count):
        threat = in_review(projects[n % 2], created_by=cast.engineer, owner=cast.other_engineer)[0]
        ThreatReview.objects.create(
            threat=threat,
            decision="changes_requested",
            comment="Again",
            status_before="in_review",
            decided_by=cast.security_lead,
            decided_at=threat.created_at,
        )
        threat.impacted_assets.create(project=threat.project, name=f"Asset {n}")
        services.model_review_submit(
            membership=cast.membership(cast.engineer), project=ProjectFactory.create(team=cast.team)
        )

"""What waits for a member, beyond what they own: threat models waiting for sign-off and threats in review for
those who decide reviews, risk acceptances waiting for their decision as the risk's owner, and acceptances of
their risks that run out soon.
My work (estate_views.my_work) lists a few of each; the home page (the dashboard) shows their counts.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from projects import attention, review_selectors
from projects import workspace_selectors as selectors
from projects.models import Control, Membership, Threat, ThreatStatus
from projects.review_models import ModelReview
from projects.roles import Permission
from risks.models import AcceptanceStatus, RiskAcceptance, RiskStatus

ROWS = 5


def reviews_url(membership: Membership) -> str:
    """Where threats in review are decided: the review queue when there is one, else the estate's threat list
    showing the threats in review."""
    slug = membership.organisation.slug
    try:
        return reverse("review_queue", args=[slug])
    except NoReverseMatch:  # no review queue (yet): the estate's list shows the same threats
        return f"{reverse('estate_threat_list', args=[slug])}?status={ThreatStatus.IN_REVIEW}"


def threats_to_review(membership: Membership) -> QuerySet[Threat]:
    """The organisation's threats in review, for those who decide reviews (nothing for anyone else)."""
    if not membership.can(Permission.DECIDE_THREAT_REVIEW):
        return Threat.objects.none()
    filters = selectors.estate_threat_filters(QueryDict(f"status={ThreatStatus.IN_REVIEW}"))
    return selectors.estate_threats_of(membership, filters)


def models_to_review(membership: Membership) -> QuerySet[ModelReview]:
    """The organisation's threat models waiting for sign-off, for those who decide reviews; oldest first."""
    if not membership.can(Permission.DECIDE_THREAT_REVIEW):
        return ModelReview.objects.none()
    return review_selectors.models_waiting(membership)


def acceptances_to_decide(membership: Membership) -> QuerySet[RiskAcceptance]:
    """Acceptance requests waiting for the member's decision, as the owner of the risk; oldest first."""
    return (
        RiskAcceptance.objects.filter(
            risk__organisation_id=membership.organisation_id,
            risk__owner_id=membership.user_id,
            status=AcceptanceStatus.REQUESTED,
        )
        .select_related("risk", "requested_by")
        .order_by("created_at", "pk")
    )


def acceptances_running_out(membership: Membership, today: datetime.date) -> QuerySet[RiskAcceptance]:
    """Approved acceptances of risks the member owns or asked to accept that run out within DUE_SOON; soonest
    first. Only a risk still accepted counts: one reopened or closed has nothing to run out."""
    me = membership.user_id
    return (
        RiskAcceptance.objects.filter(
            risk__organisation_id=membership.organisation_id,
            risk__status=RiskStatus.ACCEPTED,
            status=AcceptanceStatus.APPROVED,
            expires_on__gte=today,
            expires_on__lte=today + attention.DUE_SOON,
        )
        .filter(Q(risk__owner_id=me) | Q(requested_by_id=me))
        .select_related("risk")
        .order_by("expires_on", "pk")
    )


@dataclass(frozen=True)
class Summary:
    """The counts the home page shows: each links to My work."""

    to_review: int
    to_decide: int
    controls_due: int
    controls_overdue: int
    running_out: int
    models_to_review: int = 0

    @property
    def waiting(self) -> int:
        return self.models_to_review + self.to_review + self.to_decide

    @property
    def due(self) -> int:
        return self.controls_due + self.running_out


def summary(membership: Membership, today: datetime.date) -> Summary:
    """Five COUNT queries (three for a member who does not decide reviews)."""
    controls = Control.objects.filter(
        attention.control_due(today),
        project__organisation_id=membership.organisation_id,
        owner_id=membership.user_id,
    ).aggregate(due=Count("pk"), overdue=Count("pk", filter=attention.control_overdue(today)))
    can_review = membership.can(Permission.DECIDE_THREAT_REVIEW)
    return Summary(
        to_review=(
            Threat.objects.filter(
                attention.threat_in_review(), project__organisation_id=membership.organisation_id
            ).count()
            if can_review
            else 0
        ),
        to_decide=acceptances_to_decide(membership).count(),
        controls_due=controls["due"],
        controls_overdue=controls["overdue"],
        running_out=acceptances_running_out(membership, today).count(),
        models_to_review=models_to_review(membership).count() if can_review else 0,
    )

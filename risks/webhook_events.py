"""The register's webhook events (projects.webhooks): a business risk moving above appetite when its results are
recomputed, and an acceptance running out. docs/webhooks.md describes their data."""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone

from projects.models import Organisation
from projects.webhook_models import WebhookEvent
from projects.webhook_payloads import absolute, person
from projects.webhooks import emit_many
from risks.appetite import position_of
from risks.inputs import Scales
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, RiskResult


def _risk(risk: BusinessRisk, organisation_slug: str) -> dict[str, Any]:
    return {
        "id": risk.pk,
        "reference": risk.reference,
        "title": risk.title,
        "owner": person(risk.owner),
        "status": risk.status,
        "url": absolute(reverse("risk_detail", args=[organisation_slug, risk.number])),
    }


def _above(level: str, tolerance: float | None, scales: Scales) -> bool:
    return position_of(level or None, tolerance, scales).above


def announce_moves_above_appetite(
    organisation: Organisation, scales: Scales, results: Sequence[RiskResult]
) -> None:
    """Inside the recomputation's transaction, before its results are stored: emit risk.above_appetite for each
    risk whose new residual figures are above appetite where its stored ones were not (or it had none). One
    query reads the stored positions; the risks that moved are read only when some endpoint wants the event."""
    was = {
        risk_id: _above(level, tolerance, scales)
        for risk_id, level, tolerance in RiskResult.objects.filter(
            risk__organisation=organisation
        ).values_list("risk_id", "residual_level", "residual_tolerance")
    }
    moved = {
        result.risk_id: result
        for result in results
        if _above(result.residual_level, result.residual_tolerance, scales) and not was.get(result.risk_id)
    }
    if not moved:
        return

    def each() -> Iterator[dict[str, Any]]:
        today = timezone.localdate()
        risks = BusinessRisk.objects.filter(pk__in=moved).select_related("owner").order_by("number")
        accepted = dict(
            RiskAcceptance.objects.filter(
                risk__in=moved, status=AcceptanceStatus.APPROVED, expires_on__gte=today
            ).values_list("risk_id", "expires_on")
        )
        for risk in risks:
            result = moved[risk.pk]
            yield {
                "risk": _risk(risk, organisation.slug),
                "residual_level": result.residual_level,
                "appetite_level": str(scales.appetite_level),
                "chance_above_tolerance": result.residual_tolerance,
                "tolerance_chance": scales.tolerance_probability,
                "tolerance_amount": scales.tolerance_amount,
                "currency": scales.currency,
                "expected_annual_loss": result.residual_ale,
                "accepted_until": accepted.get(risk.pk),
            }

    # A generator: its queries run only if emit_many finds an endpoint that wants the event.
    emit_many(organisation=organisation, event=WebhookEvent.RISK_ABOVE_APPETITE, items=each())


def announce_expired_acceptances(risk_ids: Iterable[int], today: datetime.date) -> None:
    """After acceptances_expire() reopened these risks: acceptance.expired for each, with the acceptance that
    ran out (the latest approved one)."""
    risks = list(
        BusinessRisk.objects.filter(pk__in=list(risk_ids))
        .select_related("organisation", "owner")
        .order_by("organisation", "number")
    )
    if not risks:
        return
    latest: dict[int, RiskAcceptance] = {}
    for acceptance in (
        RiskAcceptance.objects.filter(risk__in=risks, status=AcceptanceStatus.APPROVED, expires_on__lt=today)
        .select_related("requested_by", "decided_by")
        .order_by("risk", "expires_on", "pk")
    ):
        latest[acceptance.risk_id] = acceptance
    by_organisation: dict[Organisation, list[BusinessRisk]] = {}
    for risk in risks:
        by_organisation.setdefault(risk.organisation, []).append(risk)
    for organisation, theirs in by_organisation.items():
        emit_many(
            organisation=organisation,
            event=WebhookEvent.ACCEPTANCE_EXPIRED,
            items=[_expired(risk, latest.get(risk.pk), organisation.slug) for risk in theirs],
        )


def _expired(risk: BusinessRisk, acceptance: RiskAcceptance | None, slug: str) -> dict[str, Any]:
    return {
        "risk": _risk(risk, slug),
        "acceptance": None
        if acceptance is None
        else {
            "id": acceptance.pk,
            "rationale": acceptance.rationale,
            "expires_on": acceptance.expires_on,
            "requested_by": person(acceptance.requested_by),
            "decided_by": person(acceptance.decided_by),
            "decided_at": acceptance.decided_at,
        },
    }

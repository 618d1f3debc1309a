"""Every write to the business-risk register: scoring settings, business risks, scenarios and acceptances.

Same rules as projects.workspace_services: the acting membership decides what is allowed (projects.roles);
each write is one transaction with the history context naming who made it; a save names the version it was
read at (EditConflict otherwise); bad input is a ValidationError by field. The plumbing is projects.writes, the
workspace's own: after any commit the organisation's stored results are recomputed (risks.apps listens to
projects.signals.workspace_changed and calls risks.tasks.schedule_recompute, debounced).
"""

import copy
import datetime
import itertools
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from projects import notifications
from projects.models import Membership, Organisation, Threat
from projects.roles import Permission
from projects.workspace_services import can_edit_project
from projects.writes import EditConflict, change, check_member, delete_version, save_version, validate
from risks import inputs, webhook_events
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    ScoringSettings,
    Treatment,
)
from risks.scoring.levels import Level
from risks.scoring.matrix import RiskMatrix

__all__ = ["EditConflict"]

# Review dates by residual level (or inherent, when nothing is in force yet): days from the last change.
REVIEW_DAYS = {
    Level.VERY_HIGH: 90,
    Level.HIGH: 90,
    Level.MODERATE: 180,
    Level.LOW: 360,
    Level.VERY_LOW: 360,
}


def _require(membership: Membership, permission: Permission, what: str) -> None:
    if not membership.can(permission):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot {what}.")


# Scoring settings ------------------------------------------------------------------------------------------


def _check_scale(levels: Any, name: str) -> None:
    message = (
        "Give five levels, very low first, each with a name and a range (low, high) that starts where the "
        "previous one ends; only the last may have no upper end."
    )
    if (
        not isinstance(levels, list)
        or len(levels) != 5
        or not all(isinstance(level, dict) for level in levels)
    ):
        raise ValidationError({name: message})
    try:
        for level in levels:
            if not str(level.get("name", "")).strip() or len(str(level["name"])) > 60:
                raise ValueError
            if len(str(level.get("description", ""))) > 500:
                raise ValueError
        for lower, upper in itertools.pairwise(levels):
            if float(lower["high"]) != float(upper["low"]):
                raise ValueError
        inputs.scale_of(levels)
    except (KeyError, TypeError, ValueError):
        raise ValidationError({name: message}) from None


def _check_matrix(matrix: Any) -> None:
    try:
        RiskMatrix(tuple(tuple(Level(cell) for cell in row) for row in matrix))
    except (TypeError, ValueError):
        raise ValidationError(
            {"matrix": "Give five rows (likelihood, very low first) of five levels (impact, very low first)."}
        ) from None


def settings_update(*, membership: Membership, version: int, **fields: Any) -> ScoringSettings:
    """Save the organisation's scoring settings; the first save stores them (version 1 is the defaults)."""
    _require(membership, Permission.EDIT_SCORING, "change how risk is scored")
    organisation = membership.organisation
    current = inputs.settings_of(organisation)
    for name, value in fields.items():
        setattr(current, name, value)
    _check_scale(current.likelihood_scale, "likelihood_scale")
    _check_scale(current.impact_scale, "impact_scale")
    _check_matrix(current.matrix)
    validate(current, exclude=["organisation"])
    with change(membership):
        if current.pk is None:
            if version != 1:
                raise EditConflict(ScoringSettings.objects.filter(organisation=organisation).first())
            Organisation.objects.select_for_update().get(pk=organisation.pk)
            if ScoringSettings.objects.filter(organisation=organisation).exists():
                raise EditConflict(ScoringSettings.objects.get(organisation=organisation))
            current.version = 2  # the defaults read as version 1: a second save from them is then stale
            current.save()
        else:
            save_version(current, version, list(fields))
    return current


# Business risks --------------------------------------------------------------------------------------------


def review_due(level: Level | None, today: datetime.date | None = None) -> datetime.date:
    days = REVIEW_DAYS[level] if level is not None else REVIEW_DAYS[Level.MODERATE]
    return (today or timezone.localdate()) + datetime.timedelta(days=days)


def _default_review(risk: BusinessRisk) -> datetime.date:
    """90 days for high and very high, 180 for moderate, 360 below, from the residual level."""
    found = inputs.risk_inputs(risk.organisation, [risk.pk]) if risk.pk else []
    counted = inputs.Counted.stage(inputs.Stage.RESIDUAL)
    level = found[0].level(counted) if found else None
    if level is None:
        scales = inputs.Scales.of(inputs.settings_of(risk.organisation))
        level = inputs.impact_level_of(risk, scales)
    return review_due(level)


def _refuse_acceptance_by_edit(fields: dict[str, Any], before: BusinessRisk | None = None) -> None:
    """Accepting a risk is a request its owner decides (acceptance_request), never a field someone sets."""
    if fields.get("treatment") == Treatment.ACCEPT and (
        before is None or before.treatment != Treatment.ACCEPT
    ):
        raise ValidationError({"treatment": "Request an acceptance instead: the risk's owner decides it."})
    if fields.get("status") == RiskStatus.ACCEPTED and (
        before is None or before.status != RiskStatus.ACCEPTED
    ):
        raise ValidationError({"status": "A risk is accepted when its owner approves an acceptance request."})


def risk_create(*, membership: Membership, **fields: Any) -> BusinessRisk:
    _require(membership, Permission.EDIT_RISK_REGISTER, "add business risks")
    organisation = membership.organisation
    check_member(organisation.pk, fields.get("owner"))
    _refuse_acceptance_by_edit(fields)
    risk = BusinessRisk(organisation=organisation, number=0, **fields)
    validate(risk, exclude=["number"])
    with change(membership):
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        # Never a number a deleted risk had: its history keeps the highest one given.
        given = BusinessRisk.pgh_event_model.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        risk.number = (given.aggregate(top=models.Max("number"))["top"] or 0) + 1
        if risk.review_on is None:
            risk.review_on = _default_review(risk)
        risk.save()
        notifications.owner_assigned(membership=membership, obj=risk, previous_owner_id=None)
    return risk


def risk_update(*, membership: Membership, risk: BusinessRisk, version: int, **fields: Any) -> BusinessRisk:
    _require(membership, Permission.EDIT_RISK_REGISTER, "change business risks")
    if "owner" in fields:
        check_member(risk.organisation_id, fields["owner"])
    _refuse_acceptance_by_edit(fields, risk)
    previous_owner_id = risk.owner_id
    for name, value in fields.items():
        setattr(risk, name, value)
    validate(risk)
    with change(membership):
        save_version(risk, version, list(fields))
        notifications.owner_assigned(membership=membership, obj=risk, previous_owner_id=previous_owner_id)
    return risk


def risk_delete(*, membership: Membership, risk: BusinessRisk, version: int) -> None:
    _require(membership, Permission.EDIT_RISK_REGISTER, "delete business risks")
    with change(membership):
        delete_version(risk, version)


# Scenarios (threat-risk links) -----------------------------------------------------------------------------


def can_link(membership: Membership, threat: Threat) -> bool:
    """Who links a threat to business risks: whoever may edit the threat, and the register's editors."""
    return membership.can(Permission.EDIT_RISK_REGISTER) or can_edit_project(membership, threat.project)


def scenario_create(
    *, membership: Membership, risk: BusinessRisk, threat: Threat, note: str = ""
) -> Scenario:
    if not can_link(membership, threat):
        raise PermissionDenied(
            f"Only the {threat.project.team} team and security leads can link {threat.reference}."
        )
    if (
        threat.project.organisation_id != risk.organisation_id
        or risk.organisation_id != membership.organisation_id
    ):
        raise ValidationError({"threat": "Choose a threat of this organisation."})
    scenario = Scenario(risk=risk, threat=threat, note=note)
    validate(scenario)
    with change(membership):
        scenario.save()
    return scenario


def scenario_delete(*, membership: Membership, scenario: Scenario, version: int | None = None) -> None:
    """Unlink the threat from the risk; with `version`, only if the link is still at it (EditConflict)."""
    if not can_link(membership, scenario.threat):
        raise PermissionDenied(
            f"Only the {scenario.threat.project.team} team and security leads can unlink it."
        )
    with change(membership):
        found = Scenario.objects.filter(pk=scenario.pk)
        if version is not None:
            found = found.filter(version=version)
        if not found.delete()[0] and version is not None:
            raise EditConflict(Scenario.objects.filter(pk=scenario.pk).first())


def threat_risks_set(*, membership: Membership, threat: Threat, risks: list[BusinessRisk]) -> None:
    """The business risks a threat can cause, as chosen on the threat's form: links added and removed."""
    if not can_link(membership, threat):
        raise PermissionDenied(
            f"Only the {threat.project.team} team and security leads can link {threat.reference}."
        )
    if any(risk.organisation_id != threat.project.organisation_id for risk in risks):
        raise ValidationError({"business_risks": "Choose business risks of this organisation."})
    wanted = {risk.pk for risk in risks}
    with change(membership):
        Scenario.objects.filter(threat=threat).exclude(risk_id__in=wanted).delete()
        present = set(Scenario.objects.filter(threat=threat).values_list("risk_id", flat=True))
        Scenario.objects.bulk_create([Scenario(risk_id=pk, threat=threat) for pk in wanted - present])


# Acceptance ------------------------------------------------------------------------------------------------


def acceptance_request(
    *, membership: Membership, risk: BusinessRisk, rationale: str, expires_on: datetime.date
) -> RiskAcceptance:
    """Ask the risk's owner to accept it as it stands, until `expires_on`."""
    _require(membership, Permission.REQUEST_RISK_ACCEPTANCE, "request a risk acceptance")
    if risk.owner_id is None:
        raise ValidationError({"risk": "Give the risk an owner first: the owner decides its acceptance."})
    today = timezone.localdate()
    errors = {}
    if not rationale.strip():
        errors["rationale"] = "Say why the risk can be accepted as it stands."
    if expires_on <= today:
        errors["expires_on"] = "Choose a date after today: an acceptance is reviewed when it runs out."
    elif expires_on > today + datetime.timedelta(days=3 * 366):
        errors["expires_on"] = "Accept a risk for three years at the most."
    if errors:
        raise ValidationError(errors)
    acceptance = RiskAcceptance(
        risk=risk, requested_by=membership.user, rationale=rationale.strip(), expires_on=expires_on
    )
    validate(acceptance)
    with change(membership):
        acceptance.save()
        notifications.acceptance_requested(membership=membership, acceptance=acceptance)
    return acceptance


def acceptance_decide(
    *, membership: Membership, acceptance: RiskAcceptance, version: int, approve: bool, note: str = ""
) -> RiskAcceptance:
    """The risk's owner approves or declines; approved, the risk is accepted until the acceptance runs out."""
    risk = acceptance.risk
    if not (membership.can(Permission.DECIDE_OWN_RISK_ACCEPTANCE) and risk.owner_id == membership.user_id):
        raise PermissionDenied("Only the risk's owner decides its acceptance.")
    if acceptance.status != AcceptanceStatus.REQUESTED:
        raise ValidationError({"status": "This request was already decided or withdrawn."})
    decided = copy.copy(acceptance)  # the caller's object stays as it was if the save is refused
    decided.status = AcceptanceStatus.APPROVED if approve else AcceptanceStatus.DECLINED
    decided.decided_by, decided.decided_at, decided.decision_note = membership.user, timezone.now(), note
    validate(decided)
    with change(membership):
        save_version(decided, version, ["status", "decided_by", "decided_at", "decision_note"])
        if approve:
            BusinessRisk.objects.filter(pk=risk.pk).update(
                status=RiskStatus.ACCEPTED,
                treatment=Treatment.ACCEPT,
                review_on=decided.expires_on,
                version=models.F("version") + 1,
                updated_at=timezone.now(),
            )
        notifications.acceptance_decided(membership=membership, acceptance=decided)
    acceptance.refresh_from_db()  # saved: the caller's object now reads as decided
    return acceptance


def acceptance_withdraw(
    *, membership: Membership, acceptance: RiskAcceptance, version: int
) -> RiskAcceptance:
    if acceptance.requested_by_id != membership.user_id and not membership.can(Permission.EDIT_RISK_REGISTER):
        raise PermissionDenied("Only whoever requested it, or a security lead, withdraws a request.")
    if acceptance.status != AcceptanceStatus.REQUESTED:
        raise ValidationError({"status": "Only a request still waiting for the owner can be withdrawn."})
    acceptance.status = AcceptanceStatus.WITHDRAWN
    with change(membership):
        save_version(acceptance, version, ["status"])
    return acceptance


def acceptances_expire(today: datetime.date | None = None) -> int:
    """Risks whose approved acceptance ran out go back to open, against appetite as they stand (daily task).
    Returns how many risks it reopened."""
    today = today or timezone.localdate()
    in_force = RiskAcceptance.objects.filter(status=AcceptanceStatus.APPROVED, expires_on__gte=today).values(
        "risk"
    )
    expired = BusinessRisk.objects.filter(
        status=RiskStatus.ACCEPTED,
        acceptances__status=AcceptanceStatus.APPROVED,
        acceptances__expires_on__lt=today,
    ).exclude(pk__in=in_force)
    with transaction.atomic(), pghistory.context(reason="acceptance expired"):
        ids = list(expired.values_list("pk", flat=True).distinct())
        BusinessRisk.objects.filter(pk__in=ids).update(
            status=RiskStatus.OPEN, version=models.F("version") + 1, updated_at=timezone.now()
        )
        webhook_events.announce_expired_acceptances(ids, today)
    return len(ids)

"""Daily snapshots of the organisation's risk figures, which the dashboards' trend lines read.

A snapshot is taken from the stored results (risks.results), never by simulating again: the portfolio's
expected annual loss, 90th percentile and chance of exceeding the tolerance for each stage, and, from the
register's residual figures, how many risks (and how much expected loss) stand above appetite, how many are
accepted, and how many sit at each residual level. Above appetite is counted as risks.appetite says it: the
residual level is above the appetite level, or the chance of a year above the tolerance amount is above the
tolerated chance, and no approved acceptance is in force.

The counts are SQL aggregates: a snapshot costs the same few queries for one risk or a thousand. Taking one
twice on the same day replaces it. Snapshots older than RETENTION are deleted.
"""

import datetime

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from projects.models import Organisation
from risks.inputs import Stage
from risks.models import (
    AcceptanceStatus,
    PortfolioResult,
    RiskAcceptance,
    RiskResult,
    RiskSnapshot,
    ScoringSettings,
)
from risks.scoring.levels import LEVELS, Level

# Two years, and a week to spare so a trend of exactly two years never misses its first day.
RETENTION = datetime.timedelta(days=2 * 365 + 7)
UNSCORED = "unscored"
_DEFAULT_APPETITE = Level.MODERATE


def take_snapshot(organisation: Organisation, day: datetime.date | None = None) -> RiskSnapshot:
    """Store the organisation's figures for `day` (today by default), replacing any taken earlier that day."""
    day = day or timezone.localdate()
    snapshot = RiskSnapshot(
        organisation=organisation, taken_on=day, figures=snapshot_figures(organisation, day)
    )
    # One statement (INSERT ... ON CONFLICT UPDATE): two runs on the same day cannot both insert.
    RiskSnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["organisation", "taken_on"],
        update_fields=["figures"],
    )
    return snapshot


def snapshot_figures(organisation: Organisation, day: datetime.date) -> dict[str, object]:
    """The figures a snapshot of `day` holds, read from the stored results in three queries."""
    appetite, tolerance = _appetite_of(organisation)
    return {
        "portfolio": _portfolio(organisation),
        **_register(organisation, day, appetite, tolerance),
    }


def snapshots_prune(today: datetime.date | None = None) -> int:
    """Delete every organisation's snapshots older than RETENTION; how many went."""
    today = today or timezone.localdate()
    deleted, _ = RiskSnapshot.objects.filter(taken_on__lt=today - RETENTION).delete()
    return deleted


def _appetite_of(organisation: Organisation) -> tuple[Level, float | None]:
    """The appetite level and the tolerated chance (a fraction), or the defaults until settings are saved."""
    saved = (
        ScoringSettings.objects.filter(organisation=organisation)
        .values_list("appetite_level", "tolerance_probability")
        .first()
    )
    if saved is None:
        return _DEFAULT_APPETITE, None
    level, probability = saved
    return Level(level), float(probability) / 100 if probability is not None else None


def _portfolio(organisation: Organisation) -> dict[str, dict[str, float | None]]:
    stored = (
        PortfolioResult.objects.filter(organisation=organisation).values_list("figures", flat=True).first()
    )
    portfolio: dict[str, dict[str, float | None]] = {}
    for stage in (Stage.INHERENT, Stage.RESIDUAL, Stage.PROJECTED):
        figures = (stored or {}).get(stage, {})
        tolerance = figures.get("p_exceeding_tolerance")
        portfolio[stage] = {
            "ale_mean": float(figures.get("ale_mean", 0.0)),
            "p90": float(figures.get("percentiles", {}).get("p90", 0.0)),
            "p_exceeding_tolerance": float(tolerance) if tolerance is not None else None,
        }
    return portfolio


def _register(
    organisation: Organisation, day: datetime.date, appetite: Level, tolerance: float | None
) -> dict[str, object]:
    above_levels = [str(level) for level in LEVELS if level.rank > appetite.rank]
    above = Q(level__in=above_levels)
    if tolerance is not None:
        above |= Q(p_exceeding_tolerance__gt=tolerance)
    accepted = Q(accepted=True)
    ale = Coalesce(Cast(KT("figures__residual__ale_mean"), FloatField()), 0.0)
    counts = (
        RiskResult.objects.filter(risk__organisation=organisation)
        .annotate(
            level=KT("figures__residual__level"),
            p_exceeding_tolerance=Cast(KT("figures__residual__p_exceeding_tolerance"), FloatField()),
            ale=ale,
            accepted=Exists(
                RiskAcceptance.objects.filter(
                    risk_id=OuterRef("risk_id"), status=AcceptanceStatus.APPROVED, expires_on__gte=day
                )
            ),
        )
        .aggregate(
            risks=Count("pk"),
            above_count=Count("pk", filter=above & ~accepted & Q(level__isnull=False)),
            above_ale=Coalesce(Sum(F("ale"), filter=above & ~accepted & Q(level__isnull=False)), 0.0),
            accepted_count=Count("pk", filter=accepted),
            accepted_ale=Coalesce(Sum(F("ale"), filter=accepted), 0.0),
            unscored=Count("pk", filter=Q(level__isnull=True)),
            **{str(level): Count("pk", filter=Q(level=str(level))) for level in LEVELS},
        )
    )
    return {
        "risks": counts["risks"],
        "above_appetite": {"count": counts["above_count"], "ale_mean": counts["above_ale"]},
        "accepted": {"count": counts["accepted_count"], "ale_mean": counts["accepted_ale"]},
        "residual_levels": {
            **{str(level): counts[str(level)] for level in LEVELS},
            UNSCORED: counts["unscored"],
        },
    }

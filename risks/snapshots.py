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

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects.models import Organisation
from risks.inputs import Scales, Stage, settings_of
from risks.models import PortfolioResult, RiskSnapshot
from risks.register_selectors import above_appetite, scored_risks
from risks.scoring.levels import LEVELS

# Two years, and a week to spare so a trend of exactly two years never misses its first day.
RETENTION = datetime.timedelta(days=2 * 365 + 7)
UNSCORED = "unscored"


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
    scales = Scales.of(settings_of(organisation))
    return {"portfolio": _portfolio(organisation), **_register(organisation, day, scales)}


def snapshots_prune(today: datetime.date | None = None) -> int:
    """Delete every organisation's snapshots older than RETENTION; how many went."""
    today = today or timezone.localdate()
    deleted, _ = RiskSnapshot.objects.filter(taken_on__lt=today - RETENTION).delete()
    return deleted


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


def _register(organisation: Organisation, day: datetime.date, scales: Scales) -> dict[str, object]:
    above = above_appetite(scales)
    accepted = Q(accepted=True)
    ale = Coalesce(F("residual_ale"), 0.0)
    counts = scored_risks(organisation, day).aggregate(
        risks=Count("pk"),
        above_count=Count("pk", filter=above),
        above_ale=Coalesce(Sum(ale, filter=above), 0.0),
        accepted_count=Count("pk", filter=accepted),
        accepted_ale=Coalesce(Sum(ale, filter=accepted), 0.0),
        unscored=Count("pk", filter=Q(residual_level__isnull=True)),
        **{str(level): Count("pk", filter=Q(residual_level=str(level))) for level in LEVELS},
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

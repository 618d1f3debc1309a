"""Reads of the register's stored results: what the engines last computed for each business risk and for the
organisation's portfolio, and whether the inputs have changed since (stale), so a page never shows an out of
date figure without saying so.

Pages read these instead of simulating; risks.results writes them.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from projects.models import Organisation
from risks import changes, inputs
from risks.models import BusinessRisk, PortfolioResult, RiskResult

PERCENTILES = ("p10", "p50", "p90", "p95", "p99")


@dataclass(frozen=True)
class StageFigures:
    """One stage (inherent, residual or projected) of a stored result. A risk with no impact or no scored
    scenario has level None and zero figures."""

    level: str | None  # very_low .. very_high; None when unscored
    ale_mean: float  # expected annual loss
    percentiles: dict[str, float]  # p10 p50 p90 p95 p99 of the annual loss
    p_loss: float  # chance of any loss in a year
    lec: list[tuple[float, float]]  # (amount, chance a year's loss exceeds it)
    p_exceeding_tolerance: float | None  # chance of losing more than the tolerance amount; None without one
    # The likelihood-by-impact cell the level comes from (the worst scenario's); None when unscored.
    likelihood: str | None = None
    impact: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "StageFigures":
        tolerance = data.get("p_exceeding_tolerance")
        return cls(
            level=data.get("level") or None,
            ale_mean=float(data.get("ale_mean", 0.0)),
            percentiles={name: float(data.get("percentiles", {}).get(name, 0.0)) for name in PERCENTILES},
            p_loss=float(data.get("p_loss", 0.0)),
            lec=[(float(amount), float(chance)) for amount, chance in data.get("lec", [])],
            p_exceeding_tolerance=float(tolerance) if tolerance is not None else None,
            likelihood=data.get("likelihood") or None,
            impact=data.get("impact") or None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "ale_mean": self.ale_mean,
            "percentiles": dict(self.percentiles),
            "p_loss": self.p_loss,
            "lec": [[amount, chance] for amount, chance in self.lec],
            "p_exceeding_tolerance": self.p_exceeding_tolerance,
            "likelihood": self.likelihood,
            "impact": self.impact,
        }


@dataclass(frozen=True)
class StoredFigures:
    computed_at: datetime.datetime
    stale: bool  # the inputs changed since (fingerprint differs): say so on the page
    inherent: StageFigures
    residual: StageFigures
    projected: StageFigures

    @classmethod
    def of(cls, result: RiskResult | PortfolioResult, stale: bool) -> "StoredFigures":
        figures = result.figures
        return cls(
            computed_at=result.computed_at,
            stale=stale,
            inherent=StageFigures.from_json(figures["inherent"]),
            residual=StageFigures.from_json(figures["residual"]),
            projected=StageFigures.from_json(figures["projected"]),
        )


def stored_figures(organisation: Organisation, risk_ids: Iterable[int]) -> dict[int, StoredFigures | None]:
    """Each named risk's stored figures (None: never computed yet), in a fixed number of queries however many.
    Risks of other organisations are left out."""
    wanted = list(dict.fromkeys(risk_ids))
    if not wanted:
        return {}
    results = {
        result.risk_id: result
        for result in RiskResult.objects.filter(risk_id__in=wanted, risk__organisation=organisation)
    }
    if _unchanged_since(organisation, results.values()):
        ids = BusinessRisk.objects.filter(pk__in=wanted, organisation=organisation).values_list(
            "pk", flat=True
        )
        return {pk: StoredFigures.of(results[pk], stale=False) if pk in results else None for pk in ids}
    current = {each.risk_id: each.fingerprint() for each in inputs.risk_inputs(organisation, wanted)}
    return {
        risk_id: StoredFigures.of(results[risk_id], stale=results[risk_id].fingerprint != fingerprint)
        if risk_id in results
        else None
        for risk_id, fingerprint in current.items()
    }


def portfolio_figures(organisation: Organisation) -> StoredFigures | None:
    """The organisation's portfolio (every risk's annual losses added year by year); None: never computed."""
    result = PortfolioResult.objects.filter(organisation=organisation).first()
    if result is None:
        return None
    if _unchanged_since(organisation, [result]):
        return StoredFigures.of(result, stale=False)
    current = inputs.portfolio_fingerprint(each.fingerprint() for each in inputs.risk_inputs(organisation))
    stale = result.fingerprint != current
    if not stale:
        changes.restore(organisation.pk, result.figures.get("change"))
    return StoredFigures.of(result, stale=stale)


def _unchanged_since(organisation: Organisation, results: Iterable[RiskResult | PortfolioResult]) -> bool:
    """True when the organisation's change counter still reads what every result recorded: nothing changed
    since, so the fingerprints need not be read (the slow way, for when the counter cannot tell)."""
    now = changes.current_change(organisation.pk)
    recorded = {result.figures.get("change") for result in results}
    return now is not None and recorded == {now}

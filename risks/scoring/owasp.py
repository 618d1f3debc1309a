"""The OWASP Risk Rating Methodology: sixteen factors from 0 to 9, averaged into likelihood and impact.

Likelihood is the average of the eight threat-agent and vulnerability factors; technical and business impact
are the averages of their four factors each. An average below 3 is low, below 6 medium, otherwise high. The
severity table then combines the likelihood level with an impact level. Business impact decides the overall
severity when it is given, as the methodology advises; the severity from technical impact is reported too.
Factors may take any value from 0 to 9, not only the options the methodology lists.
"""

import math
from dataclasses import dataclass, fields
from enum import StrEnum

FACTOR_MIN, FACTOR_MAX = 0.0, 9.0

LIKELIHOOD_FACTORS = (
    "skill_level",
    "motive",
    "opportunity",
    "size",
    "ease_of_discovery",
    "ease_of_exploit",
    "awareness",
    "intrusion_detection",
)
TECHNICAL_IMPACT_FACTORS = (
    "loss_of_confidentiality",
    "loss_of_integrity",
    "loss_of_availability",
    "loss_of_accountability",
)
BUSINESS_IMPACT_FACTORS = ("financial_damage", "reputation_damage", "non_compliance", "privacy_violation")
FACTORS = LIKELIHOOD_FACTORS + TECHNICAL_IMPACT_FACTORS + BUSINESS_IMPACT_FACTORS


class OwaspLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Severity(StrEnum):
    NOTE = "note"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


# (likelihood level, impact level) -> overall severity, as the methodology's "Overall Risk Severity" table.
SEVERITY: dict[tuple[OwaspLevel, OwaspLevel], Severity] = {
    (OwaspLevel.LOW, OwaspLevel.LOW): Severity.NOTE,
    (OwaspLevel.MEDIUM, OwaspLevel.LOW): Severity.LOW,
    (OwaspLevel.HIGH, OwaspLevel.LOW): Severity.MEDIUM,
    (OwaspLevel.LOW, OwaspLevel.MEDIUM): Severity.LOW,
    (OwaspLevel.MEDIUM, OwaspLevel.MEDIUM): Severity.MEDIUM,
    (OwaspLevel.HIGH, OwaspLevel.MEDIUM): Severity.HIGH,
    (OwaspLevel.LOW, OwaspLevel.HIGH): Severity.MEDIUM,
    (OwaspLevel.MEDIUM, OwaspLevel.HIGH): Severity.HIGH,
    (OwaspLevel.HIGH, OwaspLevel.HIGH): Severity.CRITICAL,
}


def level_of(score: float) -> OwaspLevel:
    if score < 3:
        return OwaspLevel.LOW
    if score < 6:
        return OwaspLevel.MEDIUM
    return OwaspLevel.HIGH


@dataclass(frozen=True)
class OwaspFactors:
    """The sixteen factors. The four business factors come together or not at all."""

    skill_level: float
    motive: float
    opportunity: float
    size: float
    ease_of_discovery: float
    ease_of_exploit: float
    awareness: float
    intrusion_detection: float
    loss_of_confidentiality: float
    loss_of_integrity: float
    loss_of_availability: float
    loss_of_accountability: float
    financial_damage: float | None = None
    reputation_damage: float | None = None
    non_compliance: float | None = None
    privacy_violation: float | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None and field.name in BUSINESS_IMPACT_FACTORS:
                continue
            if not (isinstance(value, int | float) and FACTOR_MIN <= value <= FACTOR_MAX):
                raise ValueError(f"{field.name} must be a number from 0 to 9, not {value!r}.")
        given = [name for name in BUSINESS_IMPACT_FACTORS if getattr(self, name) is not None]
        if given and len(given) != len(BUSINESS_IMPACT_FACTORS):
            raise ValueError("Give all four business impact factors, or none.")

    @property
    def has_business_impact(self) -> bool:
        return self.financial_damage is not None

    def average(self, names: tuple[str, ...]) -> float:
        return math.fsum(float(getattr(self, name)) for name in names) / len(names)


@dataclass(frozen=True)
class OwaspRating:
    likelihood: float
    likelihood_level: OwaspLevel
    technical_impact: float
    technical_impact_level: OwaspLevel
    business_impact: float | None
    business_impact_level: OwaspLevel | None
    severity: Severity
    technical_severity: Severity


def rate(factors: OwaspFactors) -> OwaspRating:
    likelihood = factors.average(LIKELIHOOD_FACTORS)
    technical = factors.average(TECHNICAL_IMPACT_FACTORS)
    business = factors.average(BUSINESS_IMPACT_FACTORS) if factors.has_business_impact else None
    technical_severity = SEVERITY[level_of(likelihood), level_of(technical)]
    business_level = level_of(business) if business is not None else None
    return OwaspRating(
        likelihood=likelihood,
        likelihood_level=level_of(likelihood),
        technical_impact=technical,
        technical_impact_level=level_of(technical),
        business_impact=business,
        business_impact_level=business_level,
        severity=SEVERITY[level_of(likelihood), business_level] if business_level else technical_severity,
        technical_severity=technical_severity,
    )

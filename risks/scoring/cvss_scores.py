"""CVSS v3.1 and v4.0 base scores through the `cvss` library (Red Hat's, on PyPI).

A CVSS score describes a vulnerability's severity, not how likely a threat is in this system, so it is
informative only: `suggested_likelihood` offers a starting point that the engineer's own choice overrides.
"""

from dataclasses import dataclass
from enum import StrEnum

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from risks.scoring.levels import Level

PREFIXES = {"CVSS:3.1/": "3.1", "CVSS:4.0/": "4.0"}


class CvssSeverity(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class CvssVectorError(ValueError):
    pass


@dataclass(frozen=True)
class CvssScore:
    version: str
    vector: str
    base_score: float
    severity: CvssSeverity


def score_vector(vector: str) -> CvssScore:
    """The base score and severity of a CVSS:3.1/... or CVSS:4.0/... vector; CvssVectorError if malformed."""
    version = next((v for prefix, v in PREFIXES.items() if vector.startswith(prefix)), None)
    if version is None:
        raise CvssVectorError("A vector starts with CVSS:3.1/ or CVSS:4.0/.")
    try:
        if version == "3.1":
            v3 = CVSS3(vector)
            score, severity = v3.base_score, v3.severities()[0]
        else:
            v4 = CVSS4(vector)
            score, severity = v4.base_score, v4.severity
    except CVSSError as error:
        raise CvssVectorError(str(error)) from None
    return CvssScore(version, vector, float(score), CvssSeverity(str(severity).lower()))


_LIKELIHOOD_BY_SEVERITY = {
    CvssSeverity.NONE: Level.VERY_LOW,
    CvssSeverity.LOW: Level.LOW,
    CvssSeverity.MEDIUM: Level.MODERATE,
    CvssSeverity.HIGH: Level.HIGH,
    CvssSeverity.CRITICAL: Level.VERY_HIGH,
}


def suggested_likelihood(score: CvssScore) -> Level:
    """A likelihood to start from, one level per severity band; never a replacement for the engineer's."""
    return _LIKELIHOOD_BY_SEVERITY[score.severity]

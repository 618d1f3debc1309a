"""Reading a risk-calculator scenario (a JSON object) into the engines' dataclasses.

This is the one place that validates calculator input: `manage.py risk_calc` and the API both call it, so
neither has a rule the other lacks. Every problem names its field by path (``factors.skill_level``,
``controls[1].effectiveness``); all problems found are raised together in one ScenarioError.
"""

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from risks.scoring.cvss_scores import CvssScore, CvssVectorError, score_vector
from risks.scoring.distributions import FixedRate, Frequency, Lognormal90, Magnitude, Pert
from risks.scoring.fair import LossModel, Risk, Scenario
from risks.scoring.levels import LEVELS, Level
from risks.scoring.matrix import NIST_SP_800_30, RiskMatrix
from risks.scoring.owasp import (
    BUSINESS_IMPACT_FACTORS,
    FACTOR_MAX,
    FACTOR_MIN,
    LIKELIHOOD_FACTORS,
    TECHNICAL_IMPACT_FACTORS,
    OwaspFactors,
)
from risks.scoring.planner import CandidateControl

DEFAULT_ITERATIONS = 10_000
MAX_ITERATIONS = 1_000_000
# A scenario may ask for at most this many simulated events (iterations x the highest rate): about a second.
MAX_SIMULATED_EVENTS = 50_000_000
MAX_SEED = 2**63 - 1
MAX_CONTROLS = 1_000
MAX_NAME_LENGTH = 200
MAX_VECTOR_LENGTH = 255
# Bounds that keep every sum and product finite: a quadrillion in money, a million events a year.
MAX_AMOUNT = 1e15
MAX_RATE = 1e6

type PathPart = str | int
type Path = tuple[PathPart, ...]


class Method(StrEnum):
    MATRIX = "matrix"
    OWASP = "owasp"
    CVSS = "cvss"
    FAIR = "fair"
    PLAN = "plan"


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    @property
    def field(self) -> str:
        """The path as people write it: controls[1].effectiveness."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(map(str, problems)))


@dataclass(frozen=True)
class MatrixScenario:
    likelihood: Level
    impact: Level
    matrix: RiskMatrix


@dataclass(frozen=True)
class OwaspScenario:
    factors: OwaspFactors


@dataclass(frozen=True)
class CvssScenario:
    score: CvssScore


@dataclass(frozen=True)
class FairScenario:
    risk: Risk
    iterations: int
    seed: int
    model: LossModel
    exceeding: float | None = None


@dataclass(frozen=True)
class PlanScenario:
    ale: float
    appetite: float | None
    budget: float | None
    controls: tuple[CandidateControl, ...]


type ParsedScenario = MatrixScenario | OwaspScenario | CvssScenario | FairScenario | PlanScenario

_FIELDS: dict[Method, tuple[set[str], set[str]]] = {  # required, optional
    Method.MATRIX: ({"likelihood", "impact"}, {"matrix"}),
    Method.OWASP: ({"factors"}, set()),
    Method.CVSS: ({"vector"}, set()),
    Method.FAIR: ({"frequency", "magnitude"}, {"controls", "iterations", "seed", "model", "exceeding"}),
    Method.PLAN: ({"ale", "controls"}, {"appetite", "budget"}),
}


def _one_of(value: object, choices: type[StrEnum]) -> bool:
    return isinstance(value, str) and value in {choice.value for choice in choices}


def parse_scenario(data: object) -> ParsedScenario:
    reader = _Reader()
    scenario = reader.scenario(data)
    if reader.problems or scenario is None:
        raise ScenarioError(reader.problems or [Problem((), "The scenario is not valid.")])
    return scenario


class _Reader:
    """Reads one scenario, noting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    def scenario(self, data: object) -> ParsedScenario | None:
        if not isinstance(data, Mapping):
            self.fail((), "A scenario is a JSON object with a method and its fields.")
            return None
        method = data.get("method")
        if not _one_of(method, Method):
            choices = ", ".join(Method)
            self.fail(
                ("method",), f"Required: one of {choices}." if method is None else f"Use one of {choices}."
            )
            return None
        method = Method(str(method))
        required, optional = _FIELDS[method]
        if self.fields(data, (), required | {"method"}, optional) is None:
            return None
        match method:
            case Method.MATRIX:
                return self.matrix_scenario(data)
            case Method.OWASP:
                return self.owasp_scenario(data)
            case Method.CVSS:
                return self.cvss_scenario(data)
            case Method.FAIR:
                return self.fair_scenario(data)
            case Method.PLAN:
                return self.plan_scenario(data)

    # Shapes and values.

    def fields(
        self, data: object, path: Path, required: set[str], optional: set[str]
    ) -> Mapping[str, Any] | None:
        """The object at `path` if it has every required field and no unknown one."""
        if not isinstance(data, Mapping):
            self.fail(path, "Must be a JSON object.")
            return None
        ok = True
        for name in sorted(required - set(data)):
            self.fail((*path, name), "This field is required.")
            ok = False
        for name in sorted(set(data) - required - optional, key=str):
            self.fail(
                (*path, str(name)), f"Unknown field; this takes {', '.join(sorted(required | optional))}."
            )
            ok = False
        return data if ok else None

    def number(
        self,
        data: Mapping[str, Any],
        name: str,
        path: Path,
        *,
        minimum: float | None = 0.0,
        maximum: float | None = None,
        above_minimum: bool = False,
    ) -> float | None:
        value = data.get(name)
        where = (*path, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(where, "Must be a number.")
            return None
        value = float(value)
        if minimum is not None and (value <= minimum if above_minimum else value < minimum):
            bound = "more than" if above_minimum else "at least"
            self.fail(where, f"Must be {bound} {minimum:g}.")
            return None
        if maximum is not None and value > maximum:
            self.fail(where, f"Must be at most {maximum:,.16g}.")
            return None
        return value

    def integer(
        self, data: Mapping[str, Any], name: str, path: Path, minimum: int, maximum: int
    ) -> int | None:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail((*path, name), "Must be a whole number.")
            return None
        if not minimum <= value <= maximum:
            self.fail((*path, name), f"Must be from {minimum:,} to {maximum:,}.")
            return None
        return value

    def level(self, value: object, path: Path) -> Level | None:
        if not _one_of(value, Level):
            self.fail(path, f"Use one of {', '.join(Level)}.")
            return None
        return Level(str(value))

    def items(self, value: object, path: Path, *, most: int) -> list[Any] | None:
        if not isinstance(value, list):
            self.fail(path, "Must be a list.")
            return None
        if len(value) > most:
            self.fail(path, f"At most {most:,} items.")
            return None
        return value

    def name(self, data: Mapping[str, Any], path: Path) -> str | None:
        value = data.get("name")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
            self.fail((*path, "name"), f"Must be text of 1 to {MAX_NAME_LENGTH} characters.")
            return None
        return value.strip()

    # Methods.

    def matrix_scenario(self, data: Mapping[str, Any]) -> MatrixScenario | None:
        likelihood = self.level(data["likelihood"], ("likelihood",))
        impact = self.level(data["impact"], ("impact",))
        matrix = self.matrix(data["matrix"]) if "matrix" in data else NIST_SP_800_30
        if likelihood is None or impact is None or matrix is None:
            return None
        return MatrixScenario(likelihood, impact, matrix)

    def matrix(self, value: object) -> RiskMatrix | None:
        rows = self.fields(value, ("matrix",), set(LEVELS), set())
        if rows is None:
            return None
        by_likelihood: dict[Level, list[Level]] = {}
        for likelihood in LEVELS:
            path: Path = ("matrix", likelihood.value)
            row = rows[likelihood]
            if not isinstance(row, list) or len(row) != len(LEVELS):
                self.fail(path, "Must list five levels, for impact from very_low to very_high.")
                continue
            cells = [self.level(cell, (*path, i)) for i, cell in enumerate(row)]
            by_likelihood[likelihood] = [cell for cell in cells if cell is not None]
        if any(len(row) != len(LEVELS) for row in by_likelihood.values()) or len(by_likelihood) != len(
            LEVELS
        ):
            return None
        return RiskMatrix.from_levels(by_likelihood)

    def owasp_scenario(self, data: Mapping[str, Any]) -> OwaspScenario | None:
        required = set(LIKELIHOOD_FACTORS + TECHNICAL_IMPACT_FACTORS)
        factors = self.fields(data["factors"], ("factors",), required, set(BUSINESS_IMPACT_FACTORS))
        if factors is None:
            return None
        given_business = [name for name in BUSINESS_IMPACT_FACTORS if name in factors]
        if given_business and len(given_business) != len(BUSINESS_IMPACT_FACTORS):
            for name in BUSINESS_IMPACT_FACTORS:
                if name not in factors:
                    self.fail(("factors", name), "Give all four business impact factors, or none.")
            return None
        values: dict[str, float] = {}
        for name in factors:
            value = self.number(factors, name, ("factors",), minimum=FACTOR_MIN, maximum=FACTOR_MAX)
            if value is not None:
                values[name] = value
        if len(values) != len(factors):
            return None
        return OwaspScenario(OwaspFactors(**values))

    def cvss_scenario(self, data: Mapping[str, Any]) -> CvssScenario | None:
        vector = data["vector"]
        if not isinstance(vector, str) or len(vector) > MAX_VECTOR_LENGTH:
            self.fail(("vector",), "Must be a CVSS:3.1/... or CVSS:4.0/... vector string.")
            return None
        try:
            return CvssScenario(score_vector(vector.strip()))
        except CvssVectorError as error:
            self.fail(("vector",), f"Not a valid CVSS vector: {error}")
            return None

    def fair_scenario(self, data: Mapping[str, Any]) -> FairScenario | None:
        frequency = self.frequency(data["frequency"])
        magnitude = self.magnitude(data["magnitude"])
        effectiveness = self.control_effectiveness(data.get("controls", []))
        iterations = (
            self.integer(data, "iterations", (), 1, MAX_ITERATIONS)
            if "iterations" in data
            else DEFAULT_ITERATIONS
        )
        seed = self.integer(data, "seed", (), 0, MAX_SEED) if "seed" in data else secrets.randbits(53)
        model = self.model(data.get("model", LossModel.POISSON.value))
        exceeding = self.number(data, "exceeding", (), maximum=MAX_AMOUNT) if "exceeding" in data else None
        if (
            ("exceeding" in data and exceeding is None)
            or frequency is None
            or magnitude is None
            or effectiveness is None
            or iterations is None
            or seed is None
            or model is None
        ):
            return None
        highest_rate = frequency.rate if isinstance(frequency, FixedRate) else frequency.high
        if model == LossModel.POISSON and iterations * highest_rate > MAX_SIMULATED_EVENTS:
            self.fail(
                ("iterations",),
                f"{iterations:,} years at up to {highest_rate:g} events a year is more than "
                f"{MAX_SIMULATED_EVENTS:,} simulated events; use fewer iterations.",
            )
            return None
        risk = Risk(magnitude, (Scenario(frequency, effectiveness),))
        return FairScenario(risk, iterations, seed, model, exceeding)

    def model(self, value: object) -> LossModel | None:
        if not _one_of(value, LossModel):
            self.fail(("model",), f"Use one of {', '.join(LossModel)}.")
            return None
        return LossModel(str(value))

    def frequency(self, value: object) -> Frequency | None:
        path: Path = ("frequency",)
        if isinstance(value, Mapping) and "rate" in value:
            fields = self.fields(value, path, {"rate"}, set())
            rate = self.number(fields, "rate", path, maximum=MAX_RATE) if fields is not None else None
            return FixedRate(rate) if rate is not None else None
        if isinstance(value, Mapping) and set(value) & {"min", "mode", "max"}:
            return self.three_point(value, path, maximum=MAX_RATE)
        self.fail(path, 'Give {"rate": events a year} or {"min", "mode", "max"} events a year.')
        return None

    def magnitude(self, value: object) -> Magnitude | None:
        path: Path = ("magnitude",)
        if isinstance(value, Mapping) and set(value) & {"low", "high"}:
            fields = self.fields(value, path, {"low", "high"}, set())
            if fields is None:
                return None
            low = self.number(fields, "low", path, above_minimum=True, maximum=MAX_AMOUNT)
            high = self.number(fields, "high", path, above_minimum=True, maximum=MAX_AMOUNT)
            if low is None or high is None:
                return None
            if low > high:
                self.fail((*path, "low"), "Must not be above high.")
                return None
            return Lognormal90(low, high)
        if isinstance(value, Mapping) and set(value) & {"min", "mode", "max"}:
            return self.three_point(value, path, maximum=MAX_AMOUNT)
        self.fail(path, 'Give a 90 % interval {"low", "high"} or a range {"min", "mode", "max"} per event.')
        return None

    def three_point(self, value: Mapping[str, Any], path: Path, *, maximum: float) -> Pert | None:
        fields = self.fields(value, path, {"min", "mode", "max"}, set())
        if fields is None:
            return None
        low, mode, high = (
            self.number(fields, name, path, maximum=maximum) for name in ("min", "mode", "max")
        )
        if low is None or mode is None or high is None:
            return None
        if low > high:
            self.fail((*path, "min"), "Must not be above max.")
            return None
        if not low <= mode <= high:
            self.fail((*path, "mode"), "Must be from min to max.")
            return None
        return Pert(low, mode, high)

    def control_effectiveness(self, value: object) -> tuple[float, ...] | None:
        controls = self.items(value, ("controls",), most=MAX_CONTROLS)
        if controls is None:
            return None
        found: list[float | None] = []
        for i, control in enumerate(controls):
            path: Path = ("controls", i)
            fields = self.fields(control, path, {"effectiveness"}, {"name"})
            if fields is not None and "name" in fields:
                self.name(fields, path)
            found.append(
                self.number(fields, "effectiveness", path, maximum=1.0) if fields is not None else None
            )
        if any(effectiveness is None for effectiveness in found):
            return None
        return tuple(effectiveness for effectiveness in found if effectiveness is not None)

    def plan_scenario(self, data: Mapping[str, Any]) -> PlanScenario | None:
        ale = self.number(data, "ale", (), maximum=MAX_AMOUNT)
        appetite = self.number(data, "appetite", (), maximum=MAX_AMOUNT) if "appetite" in data else None
        budget = self.number(data, "budget", (), maximum=MAX_AMOUNT) if "budget" in data else None
        candidates = self.candidates(data["controls"])
        if (
            ale is None
            or candidates is None
            or ("appetite" in data and appetite is None)
            or ("budget" in data and budget is None)
        ):
            return None
        return PlanScenario(ale, appetite, budget, candidates)

    def candidates(self, value: object) -> tuple[CandidateControl, ...] | None:
        controls = self.items(value, ("controls",), most=MAX_CONTROLS)
        if controls is None:
            return None
        found: list[CandidateControl | None] = []
        for i, control in enumerate(controls):
            path: Path = ("controls", i)
            fields = self.fields(control, path, {"name", "cost", "effectiveness"}, set())
            if fields is None:
                found.append(None)
                continue
            name = self.name(fields, path)
            cost = self.number(fields, "cost", path, above_minimum=True, maximum=MAX_AMOUNT)
            effectiveness = self.number(fields, "effectiveness", path, maximum=1.0)
            if name is None or cost is None or effectiveness is None:
                found.append(None)
            else:
                found.append(CandidateControl(name, cost, effectiveness))
        if any(candidate is None for candidate in found):
            return None
        return tuple(candidate for candidate in found if candidate is not None)

"""The business-risk register: the organisation's scoring settings, its business risks, the scenarios that link
threats to them, acceptances, and the stored results of the risk engines (risks.scoring).

Likelihood belongs to the threat (projects.Threat), impact to the business risk; a threat linked to a risk is
a scenario. Every write goes through risks.services.
"""

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from projects.models import LikelihoodLevel, Organisation, Threat, Versioned, feed_indexes, history_trackers

Level = LikelihoodLevel  # one set of five level names for likelihood, impact and risk


class Currency(models.TextChoices):
    EUR = "EUR", "Euro (€)"
    USD = "USD", "US dollar ($)"
    GBP = "GBP", "Pound sterling (£)"
    CHF = "CHF", "Swiss franc (CHF)"
    JPY = "JPY", "Yen (¥)"
    AUD = "AUD", "Australian dollar (A$)"
    CAD = "CAD", "Canadian dollar (C$)"


@pghistory.track(
    *history_trackers(), meta={"indexes": feed_indexes("scoringevent", "organisation", whole=False)}
)
class ScoringSettings(Versioned):
    """How an organisation scores risk: its scales, matrix, currency and appetite. One per organisation; until
    someone saves them, risks.services.settings_of gives the defaults (NIST SP 800-30, decade scales)."""

    etag_name = "scoring"

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="scoring")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    # Five levels each, very low first: {"name", "description", "low", "high"}; `high` of the last may be null
    # (no upper end). Likelihood ranges are events per year, impact ranges money per event.
    likelihood_scale = models.JSONField()
    impact_scale = models.JSONField()
    # Five rows (likelihood, very low first) of five level values (impact, very low first).
    matrix = models.JSONField()
    appetite_level = models.CharField(
        "highest acceptable residual level", max_length=20, choices=Level.choices, default=Level.MODERATE
    )
    # Annual-loss tolerance: at most `tolerance_probability` % chance of losing more than `tolerance_amount`.
    tolerance_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    tolerance_probability = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name_plural = "scoring settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_probability__isnull=True)
                | Q(tolerance_probability__gt=0, tolerance_probability__lt=100),
                name="scoring_tolerance_probability_percent",
                violation_error_code="tolerance_probability",
                violation_error_message="A chance in per cent, above 0 and below 100.",
            ),
            models.CheckConstraint(
                condition=Q(tolerance_amount__isnull=True) | Q(tolerance_amount__gt=0),
                name="scoring_tolerance_amount_positive",
                violation_error_code="tolerance_amount",
                violation_error_message="An amount above 0.",
            ),
        ]

    def __str__(self) -> str:
        return f"Scoring of {self.organisation}"


class Category(models.TextChoices):
    FINANCIAL = "financial", "Financial"
    REGULATORY = "regulatory", "Regulatory"
    REPUTATIONAL = "reputational", "Reputational"
    OPERATIONAL = "operational", "Operational"
    SAFETY = "safety", "Safety"


class Treatment(models.TextChoices):
    MITIGATE = "mitigate", "Mitigate"
    ACCEPT = "accept", "Accept"
    TRANSFER = "transfer", "Transfer"
    AVOID = "avoid", "Avoid"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_TREATMENT = "in_treatment", "In treatment"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


@pghistory.track(
    *history_trackers(), meta={"indexes": feed_indexes("riskevent", "organisation", whole=False)}
)
class BusinessRisk(Versioned):
    """Something the business can lose: its impact (a level and/or a loss per event as a 90 % interval in the
    organisation's currency) and how it is treated. Threats reach it through scenarios."""

    etag_name = "risk"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="business_risks")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    categories = ArrayField(
        models.CharField(max_length=20, choices=Category.choices), default=list, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_risks"
    )
    impact = models.CharField(max_length=20, choices=Level.choices, blank=True)
    loss_low = models.DecimalField(
        "loss per event, low (5th percentile)", max_digits=18, decimal_places=2, null=True, blank=True
    )
    loss_high = models.DecimalField(
        "loss per event, high (95th percentile)", max_digits=18, decimal_places=2, null=True, blank=True
    )
    treatment = models.CharField(max_length=20, choices=Treatment.choices, default=Treatment.MITIGATE)
    treatment_detail = models.TextField(
        "how it is treated",
        blank=True,
        max_length=2_000,
        help_text="The insurer, the contract, the system retired.",
    )
    status = models.CharField(max_length=20, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    review_on = models.DateField("next review", null=True, blank=True)
    threats = models.ManyToManyField(Threat, through="Scenario", related_name="business_risks")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="risk_number_unique_in_organisation"
            ),
            models.UniqueConstraint(
                fields=["organisation", "title"],
                name="risk_title_unique_in_organisation",
                violation_error_code="title",
                violation_error_message="A business risk with this title already exists.",
            ),
            models.CheckConstraint(
                condition=Q(impact="") | Q(impact__in=Level.values), name="risk_impact_known"
            ),
            models.CheckConstraint(
                condition=Q(categories__contained_by=Category.values), name="risk_categories_known"
            ),
            models.CheckConstraint(condition=Q(treatment__in=Treatment.values), name="risk_treatment_known"),
            models.CheckConstraint(condition=Q(status__in=RiskStatus.values), name="risk_status_known"),
            models.CheckConstraint(
                condition=Q(loss_low__isnull=True, loss_high__isnull=True)
                | Q(
                    loss_low__isnull=False,
                    loss_high__isnull=False,
                    loss_low__gt=0,
                    loss_high__gt=models.F("loss_low"),
                ),
                name="risk_loss_range_ordered",
                violation_error_code="loss_high",
                violation_error_message="Give both ends of the loss per event, the high one above the low one "
                "(the low one above 0), or neither.",
            ),
            models.CheckConstraint(
                condition=~Q(treatment__in=[Treatment.TRANSFER, Treatment.AVOID]) | ~Q(treatment_detail=""),
                name="risk_transfer_or_avoidance_says_how",
                violation_error_code="treatment_detail",
                violation_error_message="Say how: the insurer or contract it is transferred to, or what is "
                "retired or stopped to avoid it.",
            ),
            models.CheckConstraint(
                condition=~Q(impact="") | Q(loss_low__isnull=False),
                name="risk_has_an_impact",
                violation_error_code="impact",
                violation_error_message="Give the impact as a level, or as a loss per event, or both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"R-{self.number}"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("scenarioevent")})
class Scenario(Versioned):
    """A threat linked to a business risk: how the threat causes the risk."""

    etag_name = "scenario"

    risk = models.ForeignKey(BusinessRisk, on_delete=models.CASCADE, related_name="scenarios")
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="scenarios")
    note = models.CharField("how the threat leads to this risk", max_length=500, blank=True)

    class Meta:
        ordering = ["risk", "threat"]
        constraints = [
            models.UniqueConstraint(
                fields=["risk", "threat"],
                name="scenario_unique",
                violation_error_code="threat",
                violation_error_message="This threat is already linked to that business risk.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.threat.reference} → {self.risk.reference}"


class AcceptanceStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for the risk owner"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


@pghistory.track(*history_trackers(), meta={"indexes": feed_indexes("acceptanceevent")})
class RiskAcceptance(Versioned):
    """A request to accept a risk above appetite, decided by the risk's owner. Approved and not expired, the
    risk is accepted; expired, it is back to its residual position against appetite."""

    etag_name = "acceptance"

    risk = models.ForeignKey(BusinessRisk, on_delete=models.CASCADE, related_name="acceptances")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rationale = models.TextField(max_length=5_000)
    expires_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=AcceptanceStatus.choices, default=AcceptanceStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AcceptanceStatus.values), name="acceptance_status_known"
            ),
            models.UniqueConstraint(
                fields=["risk"],
                condition=Q(status="requested"),
                name="one_open_acceptance_request_per_risk",
                violation_error_code="risk",
                violation_error_message="This risk already has an acceptance waiting for its owner.",
            ),
        ]

    def __str__(self) -> str:
        return f"Acceptance of {self.risk.reference} ({self.status})"

    def in_force(self, today: datetime.date) -> bool:
        return self.status == AcceptanceStatus.APPROVED and self.expires_on >= today

    def expired(self, today: datetime.date) -> bool:
        return self.status == AcceptanceStatus.APPROVED and self.expires_on < today


class RiskResult(models.Model):
    """What the engines computed for one business risk, from inputs whose fingerprint it records. Pages read
    it; risks.results recomputes it after inputs change, and a page says when it is out of date."""

    risk = models.OneToOneField(BusinessRisk, on_delete=models.CASCADE, related_name="result")
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    iterations = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    # {"inherent": {...}, "residual": {...}, "projected": {...}}, each with level, ale_mean, percentiles,
    # p_loss, lec (pairs of amount and probability of exceeding it), p_exceeding_tolerance.
    figures = models.JSONField()
    # The figures the dashboards, the register and the snapshots count and filter by, copied out of `figures`
    # as it is written (columns_of), so SQL reads a column rather than decompressing the JSON again for every
    # key of every risk. "" and None where the risk is unscored.
    residual_level = models.CharField(max_length=20, blank=True)
    residual_rank = models.SmallIntegerField(default=-1)  # 0 (very low) to 4 (very high); -1 unscored
    residual_ale = models.FloatField(null=True)
    residual_tolerance = models.FloatField(null=True)  # the chance of a year above the tolerance amount
    inherent_ale = models.FloatField(null=True)
    inherent_likelihood = models.CharField(max_length=20, blank=True)  # the heat maps' cells
    inherent_impact = models.CharField(max_length=20, blank=True)
    residual_likelihood = models.CharField(max_length=20, blank=True)
    residual_impact = models.CharField(max_length=20, blank=True)

    COLUMNS = (
        "residual_level",
        "residual_rank",
        "residual_ale",
        "residual_tolerance",
        "inherent_ale",
        "inherent_likelihood",
        "inherent_impact",
        "residual_likelihood",
        "residual_impact",
    )

    def __str__(self) -> str:
        return f"Result of {self.risk.reference}"

    def save(self, *args: object, **kwargs: object) -> None:
        """Keeps the columns in step with `figures` (bulk writes set them with columns_of themselves)."""
        for name, value in self.columns_of(self.figures).items():
            setattr(self, name, value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "figures" in update_fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*update_fields, *self.COLUMNS}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def columns_of(figures: dict) -> dict[str, object]:
        """The columns' values for these figures."""
        inherent, residual = figures.get("inherent") or {}, figures.get("residual") or {}
        level = residual.get("level") or ""
        return {
            "residual_level": level,
            "residual_rank": Level.values.index(level) if level in Level.values else -1,
            "residual_ale": residual.get("ale_mean"),
            "residual_tolerance": residual.get("p_exceeding_tolerance"),
            "inherent_ale": inherent.get("ale_mean"),
            "inherent_likelihood": inherent.get("likelihood") or "",
            "inherent_impact": inherent.get("impact") or "",
            "residual_likelihood": residual.get("likelihood") or "",
            "residual_impact": residual.get("impact") or "",
        }


class PortfolioResult(models.Model):
    """The organisation's portfolio: its risks' annual losses added year by year."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="portfolio_result"
    )
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    iterations = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    figures = models.JSONField()

    def __str__(self) -> str:
        return f"Portfolio of {self.organisation}"


class RiskSnapshot(models.Model):
    """The organisation's figures on one day, for the dashboards' trend lines: taken daily from the stored results
    (risks.snapshots) and kept for two years. Derived data, so it carries no history of its own."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="risk_snapshots")
    taken_on = models.DateField()
    # {"portfolio": {stage: {ale_mean, p90, p_exceeding_tolerance}}, "risks", "above_appetite": {count,
    # ale_mean}, "accepted": {count, ale_mean}, "residual_levels": {level or "unscored": count}}
    figures = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "taken_on"], name="one_risk_snapshot_per_organisation_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"Risk snapshot of {self.organisation} on {self.taken_on}"


class ScenarioResult(models.Model):
    """What one scenario contributes to its risk's stored result, for the dashboards' risk by team and by
    project: its inherent and residual level, and its share of the risk's expected annual loss (the risk's
    simulated mean, split in proportion to each scenario's expected events a year). Written with the risk's
    result by risks.results; `project` is the threat's, kept here so the estate is summed without joins."""

    scenario = models.OneToOneField(
        Scenario, on_delete=models.CASCADE, primary_key=True, related_name="result"
    )
    risk = models.ForeignKey(BusinessRisk, on_delete=models.CASCADE, related_name="scenario_results")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="scenario_results")
    inherent_level = models.CharField(max_length=20, blank=True)
    residual_level = models.CharField(max_length=20, blank=True)
    inherent_ale = models.FloatField()
    residual_ale = models.FloatField()

    class Meta:
        indexes = [
            # Risk by team and by project add up each project's scenarios from this index alone, in project
            # order, with the risk for the category and treatment filters (reports.dashboard).
            models.Index(
                fields=["project"],
                include=["risk", "residual_ale", "inherent_ale"],
                name="scenario_result_sums",
            )
        ]

    def __str__(self) -> str:
        return f"Result of scenario {self.scenario_id}"

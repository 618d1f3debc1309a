"""The executive summary: two to four pages for a board, in money and plain words, with the decisions it asks for.

Every figure is one the app already keeps, never simulated again here:
- the headline, risk against appetite, the top risks, the heat maps and the trend are the dashboard's
  (reports.dashboard, the whole organisation) and its charts (reports.dashboard_charts);
- the tolerance in words reads the portfolio's stored loss distribution (risks.selectors.portfolio_figures);
- the change since the last report compares with the daily snapshot (risks.snapshots) of the day the last
  executive summary was made, or of about COMPARE_DAYS ago when there was none;
- the recommended investments add up the planner's recommendation for each risk (risks.pages.recommendation,
  as the risk's page shows it): each control once, with the loss it removes from every risk it was chosen for.
"""

import dataclasses
import datetime
import math
from dataclasses import dataclass, field

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from projects.models import Control, Threat, ThreatControl
from reports.dashboard import Dashboard, DashboardFilters, dashboard
from reports.dashboard_charts import dashboard_charts
from reports.models import Report, ReportKind, ReportStatus
from reports.print_register import fingerprint_of, names_printed, register_parts
from reports.printable import Printable, Progress
from risks import inputs, selectors
from risks.models import AcceptanceStatus, BusinessRisk, PortfolioResult, RiskAcceptance, RiskSnapshot
from risks.pages import recommendation
from risks.register_selectors import EXPIRING_WITHIN
from risks.selectors import StageFigures

TEMPLATE = "reports/print/executive_summary.html"
COMPARE_DAYS = 30  # with no earlier report, compare with the snapshot about this many days ago
# Rows in the summary's lists: it must stay within four pages, on Letter too.
TOP = 6  # top risks, in the chart and the table
INVESTMENTS = 6  # recommended controls listed (all are added up)
ACCEPTED = 4  # acceptances in force, the soonest to run out first
STOPS = 2  # risks above appetite whose "where to stop" is told
TOLERATED_CHANCE = 0.1  # the chance the tolerance is told at when the organisation has set none


# What the report reads, for its fingerprint ------------------------------------------------------------------


def fingerprint(report: Report) -> str:
    """What the register prints, and the controls, threats, portfolio and snapshots the summary reads, the last
    report it compares with and the day (acceptances run out, the comparison moves): the same on unchanged
    data the same day."""
    organisation_id = report.organisation_id
    today = timezone.localdate()
    previous = _previous_report(organisation_id, today)
    parts = register_parts(organisation_id) | {
        "threats": (Threat.objects.filter(project__organisation=organisation_id), "updated_at"),
        "controls": (Control.objects.filter(project__organisation=organisation_id), "updated_at"),
        "links": (ThreatControl.objects.filter(control__project__organisation=organisation_id), "updated_at"),
        "portfolio": (PortfolioResult.objects.filter(organisation=organisation_id), "computed_at"),
        "snapshots": (RiskSnapshot.objects.filter(organisation=organisation_id), "taken_on"),
    }
    read = [
        report.kind,
        report.paper,
        today,
        report.organisation.name,
        previous.pk if previous else None,
        names_printed(organisation_id),
    ]
    return fingerprint_of(read, parts)


# The summary's parts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The residual expected annual loss and the risks above appetite now, against a snapshot's."""

    since: datetime.date  # the snapshot's day
    last_report_on: (
        datetime.date | None
    )  # the day of the last executive summary; None: compared with ~30 days
    residual_ale: float  # then
    above_count: int  # then
    now_ale: float
    now_above: int

    @property
    def difference(self) -> float:
        return self.now_ale - self.residual_ale

    @property
    def direction(self) -> str:
        """ "risen", "fallen" or "stayed the same", for a sentence about the expected loss."""
        if math.isclose(self.now_ale, self.residual_ale, rel_tol=1e-9, abs_tol=0.5):
            return "stayed the same"
        return "risen" if self.difference > 0 else "fallen"

    @property
    def amount(self) -> float:
        return abs(self.difference)

    @property
    def percent(self) -> float | None:
        """How much it moved, as a fraction of what it was (None when it was 0)."""
        return abs(self.difference) / self.residual_ale if self.residual_ale else None


@dataclass(frozen=True)
class Tolerance:
    """The portfolio against the tolerance, in words: "a 10 % chance of losing more than X this year"."""

    chance: float  # the chance told
    amount: float  # the residual loss a year exceeds with that chance
    inherent_amount: float  # the same without controls
    tolerated_amount: float | None  # the organisation's tolerance: at most `chance` of losing more than this
    estimated: float | None  # the residual chance of a year above the tolerance amount

    @property
    def set(self) -> bool:
        return self.tolerated_amount is not None

    @property
    def above(self) -> bool:
        return self.estimated is not None and self.estimated > self.chance


@dataclass
class Investment:
    """A proposed control the planner chose for one risk or more."""

    title: str
    project: str
    cost: float  # a year
    removes: float = 0.0  # expected loss a year, summed over the risks it was chosen for
    risks: list[str] = field(default_factory=list)  # their references

    @property
    def rosi(self) -> float:
        return (self.removes - self.cost) / self.cost


@dataclass(frozen=True)
class Stop:
    """Where to stop on one risk, as its page says it."""

    reference: str
    title: str
    reason: str


@dataclass(frozen=True)
class Investments:
    chosen: list[Investment]  # the best return first, the first INVESTMENTS of them
    more: int  # chosen and not listed
    cost: float  # of all chosen, a year
    removes: float  # expected loss a year they remove
    free: int  # proposed controls that cost nothing and remove something: just do them
    unpriced: int  # proposed controls without a cost, which the planner cannot rank
    stops: list[Stop]  # where to stop on the largest risks above appetite

    @property
    def count(self) -> int:
        return len(self.chosen) + self.more

    @property
    def rosi(self) -> float | None:
        return (self.removes - self.cost) / self.cost if self.cost else None


def build(report: Report, progress: Progress) -> Printable:
    organisation = report.organisation
    today = timezone.localdate()
    progress(10, "Reading the dashboard's figures")
    board = dashboard(organisation, DashboardFilters(), today, with_choices=False)
    board = dataclasses.replace(board, top_risks=board.top_risks[:TOP])
    progress(20, "Drawing the charts")
    charts = dashboard_charts(board, reverse("risk_list", args=[organisation.slug]))
    progress(30, "Comparing with the last report")
    previous = _previous_report(organisation.pk, today)
    change = _change(board, previous, today)
    progress(40, "Planning the investments")
    investments = _investments(board)
    progress(55, "Listing the accepted risks")
    accepted = _accepted(board, today)
    context = {
        "board": board,
        "charts": charts,
        "currency": board.scales.currency,
        "scales": board.scales,
        "change": change,
        "tolerance": _tolerance(board),
        "investments": investments,
        "accepted": accepted,
        "accepted_more": max(board.headline.accepted_count - len(accepted), 0),
        "soon": today + EXPIRING_WITHIN,
        "iterations": inputs.ITERATIONS,
        "compare_days": COMPARE_DAYS,
    }
    as_of = board.portfolio.computed_at if board.portfolio is not None else timezone.now()
    return Printable(template=TEMPLATE, context=context, as_of=as_of)


def _previous_report(organisation_id: int, today: datetime.date) -> Report | None:
    """The organisation's last executive summary made before today: reports made today, from the same data,
    compare with the same one, so an identical request the same day reuses the file."""
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    return (
        Report.objects.filter(
            organisation=organisation_id,
            kind=ReportKind.EXECUTIVE_SUMMARY,
            status=ReportStatus.DONE,
            as_of__lt=start_of_today,
        )
        .order_by("-as_of", "-pk")
        .only("pk", "as_of")
        .first()
    )


def _change(board: Dashboard, previous: Report | None, today: datetime.date) -> Change | None:
    """Against the snapshot of the last report's day, or of about COMPARE_DAYS ago; None without one."""
    last_report_on = timezone.localdate(previous.as_of) if previous is not None and previous.as_of else None
    day = last_report_on or today - datetime.timedelta(days=COMPARE_DAYS)
    snapshot = (
        RiskSnapshot.objects.filter(organisation=board.organisation, taken_on__lte=day)
        .order_by("-taken_on")
        .values_list("taken_on", "figures")
        .first()
    )
    if snapshot is None:
        return None
    taken_on, figures = snapshot
    residual = figures.get("portfolio", {}).get("residual", {})
    return Change(
        since=taken_on,
        last_report_on=last_report_on,
        residual_ale=float(residual.get("ale_mean") or 0.0),
        above_count=int(figures.get("above_appetite", {}).get("count") or 0),
        now_ale=board.headline.residual_ale,
        now_above=board.headline.above_count,
    )


def _tolerance(board: Dashboard) -> Tolerance | None:
    portfolio, scales = board.portfolio, board.scales
    if portfolio is None:
        return None
    chance = scales.tolerance_probability if scales.tolerance_probability is not None else TOLERATED_CHANCE
    return Tolerance(
        chance=chance,
        amount=loss_exceeded_with(portfolio.residual, chance),
        inherent_amount=loss_exceeded_with(portfolio.inherent, chance),
        tolerated_amount=scales.tolerance_amount,
        estimated=portfolio.residual.p_exceeding_tolerance if scales.tolerance_amount is not None else None,
    )


def loss_exceeded_with(figures: StageFigures, chance: float) -> float:
    """The annual loss that a year exceeds with `chance`, read from the stored figures: the percentile when
    one is stored for it (p90 for 10 %), else the first point of the stored curve at or below the chance."""
    percentile = f"p{round((1 - chance) * 100)}"
    if math.isclose((1 - chance) * 100, round((1 - chance) * 100)) and percentile in figures.percentiles:
        return figures.percentiles[percentile]
    return next((amount for amount, above in figures.lec if above <= chance), 0.0)


def _investments(board: Dashboard) -> Investments:
    """The planner's choice for every risk, added up: each control once (its cost once), with the loss it
    removes from each risk it was chosen for. Six queries however many risks."""
    organisation = board.organisation
    every = inputs.risk_inputs(organisation)
    stored = selectors.stored_figures(organisation, [each.risk_id for each in every])
    plans = {each.risk_id: plan for each in every if (plan := recommendation(each, stored.get(each.risk_id)))}
    references = {risk.pk: risk.reference for risk in BusinessRisk.objects.filter(organisation=organisation)}
    chosen: dict[int, Investment] = {}
    for risk_id, plan in plans.items():
        for ranked in plan.to_do:
            control = ranked.control
            each = chosen.setdefault(control.control_id, Investment(control.title, "", ranked.planned.cost))
            each.removes += ranked.planned.delta_ale
            each.risks.append(references[risk_id])
    projects = Control.objects.filter(pk__in=list(chosen), project__organisation=organisation)
    for control_id, project in projects.values_list("pk", "project__name"):
        chosen[control_id].project = project
    ordered = sorted(chosen.values(), key=lambda each: (-each.rosi, each.title))
    return Investments(
        chosen=ordered[:INVESTMENTS],
        more=max(len(ordered) - INVESTMENTS, 0),
        cost=sum(each.cost for each in ordered),
        removes=sum(each.removes for each in ordered),
        free=len({c.control_id for plan in plans.values() for c in plan.free}),
        unpriced=len({c.control_id for plan in plans.values() for c in plan.unpriced}),
        stops=[
            Stop(risk.reference, risk.title, plans[risk.pk].reason)
            for risk in board.top_risks
            if risk.above and risk.pk in plans and plans[risk.pk].plan is not None  # type: ignore[attr-defined]
        ][:STOPS],
    )


def _accepted(board: Dashboard, today: datetime.date) -> list[RiskAcceptance]:
    """The approved acceptances in force, the soonest to run out first, each with its risk's residual expected
    annual loss (`residual_ale`): what the organisation has chosen to live with, and until when."""
    latest = (
        RiskAcceptance.objects.filter(
            risk__organisation=board.organisation, status=AcceptanceStatus.APPROVED, expires_on__gte=today
        )
        .order_by("risk_id", "-expires_on")
        .distinct("risk_id")
    )
    return list(
        RiskAcceptance.objects.filter(pk__in=latest.values("pk"))
        .select_related("risk", "risk__owner", "decided_by")
        .annotate(residual_ale=F("risk__result__residual_ale"))
        .order_by("expires_on", "risk__number")[:ACCEPTED]
    )

"""The risk dashboards at the default estate size (issue 6, "Scale"): the median server time of the organisation
dashboard, a team dashboard and the estate threat list, each next to its floor, the same figures read by
hand-written SQL on the same data in the same run.

It makes a throwaway database of its own beside the one DATABASE_URL names (never touching that one), builds
`manage.py seed_estate`'s default estate in it (20 teams, 500 projects, 50,000 threats, 30,000 controls, 200
business risks, a year of snapshots), recomputes the stored results once a change has been counted (as after
any edit through the services, so pages can tell from the change counter that the results are current),
VACUUMs and ANALYZEs, then times each page through Django's test client, signed in as a security lead. A last
row times the organisation dashboard after the cache has lost the change counter.

The floor is honest: before timing it, the benchmark checks that its SQL returns exactly the figures the read
models return (reports.dashboard.dashboard, projects.workspace_selectors.estate_threats_of) and stops if not.
A dashboard's floor is everything the page shows, as the issue asks: the headline, both heat maps, every row of
the top tables, risk by team, the work waiting with its rows, the acceptances, the trend and the portfolio's stored
figures, each read by the fastest hand-written SQL found (where that is the page's own query shape, the floor uses
it too). Beside it is a stricter floor, the aggregates alone (the headline, both heat maps, risk by team and the
work waiting's counts), which the earlier runs used, so the two can be compared. Beside each page's time is how
much of it its own queries took, all of them, so the rest is what Django and the template cost.

The table is printed and added to bench/RESULTS.md as a new dated section. `python -m bench dashboard` runs
this section alone; it takes about ten minutes, most of it building the estate.
"""

import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import django
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.hot_paths import machine, server_version
from bench.throwaway import throwaway_database
from projects import workspace_selectors
from projects.estate_views import PER_PAGE
from projects.models import (
    IN_FORCE_STATUSES,
    Control,
    Membership,
    Organisation,
    Project,
    ProjectStatus,
    Team,
    Threat,
    ThreatStatus,
)
from projects.roles import Role
from reports.dashboard import TOP, TREND_DAYS, Dashboard, DashboardFilters, dashboard
from risks import changes, inputs, register_selectors
from risks.inputs import Scales
from risks.models import AcceptanceStatus, BusinessRisk, RiskSnapshot, ScenarioResult
from risks.results import recompute
from risks.scoring.levels import LEVELS
from risks.selectors import StageFigures

ESTATE = "Globex Estate"  # seed_estate's default organisation
SIZE: dict[str, int] = {}  # seed_estate's size options; none, for its defaults: the size issue 6 sets
WARM_UP, RUNS = 3, 21
RESULTS = Path(__file__).with_name("RESULTS.md")
GOAL_MS, GOAL_RATIO = 300, 3


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p90_ms: float


def timed(*runs: Callable[[], object], times: int = RUNS) -> list[Timing]:
    """Median and 90th percentile of each of `runs`, called in turn `times` times after WARM_UP untimed rounds.
    In turn, a page then its floor, so that a machine slowing down for a minute (a shared one does) slows both
    alike and each runs after the other, as a page's queries run after its Python, rather than the floor's
    statements back to back with the caches warm from the one before."""
    for _ in range(WARM_UP):
        for run in runs:
            run()
    timings: list[list[float]] = [[] for _ in runs]
    for _ in range(times):
        for run, taken in zip(runs, timings, strict=True):
            start = time.perf_counter()
            run()
            taken.append((time.perf_counter() - start) * 1000)
    return [Timing(statistics.median(taken), statistics.quantiles(taken, n=10)[-1]) for taken in timings]


# The floors: hand-written SQL ---------------------------------------------------------------------------------

# The business risks that threats of the team's projects lead to (risks.register_selectors.fed_by), read once per
# floor and handed to its statements as ids, as the page does; and a risk `r` among them (any, for no team).
FED_IDS = """
    SELECT DISTINCT s.risk_id FROM risks_scenario s JOIN projects_threat t ON t.id = s.threat_id
           JOIN projects_project p ON p.id = t.project_id
    WHERE p.team_id = %(team)s
"""
FED = "(%(fed)s::bigint[] IS NULL OR r.id = ANY(%(fed)s::bigint[]))"
# The business risks in scope, with the stored residual figures and whether an acceptance is in force
# (risks.register_selectors.scored_risks), and whether they are above appetite (above_appetite).
JUDGED = f"""
    WITH risks AS (
        SELECT r.id, r.number, r.title, r.treatment, r.owner_id,
               rr.inherent_likelihood, rr.inherent_impact, rr.residual_likelihood, rr.residual_impact,
               nullif(rr.residual_level, '') AS level, rr.residual_ale AS ale, rr.residual_tolerance AS tolerance,
               EXISTS (SELECT 1 FROM risks_riskacceptance a
                       WHERE a.risk_id = r.id AND a.status = %(approved)s AND a.expires_on >= %(today)s) AS accepted
        FROM risks_businessrisk r LEFT JOIN risks_riskresult rr ON rr.risk_id = r.id
        WHERE r.organisation_id = %(organisation)s AND {FED}),
    judged AS (
        SELECT *, coalesce(level IS NOT NULL AND NOT accepted
                           AND (array_position(%(levels)s::text[], level) - 1 > %(appetite)s
                                OR tolerance > %(tolerance)s), false) AS above
        FROM risks)
"""  # noqa: S608 (made of constants; the values are parameters)
HEADLINE = f"""{JUDGED}
    SELECT count(*), count(*) FILTER (WHERE above), coalesce(sum(ale) FILTER (WHERE above), 0),
           count(*) FILTER (WHERE accepted)
    FROM judged
"""  # noqa: S608 (as above)
HEAT = f"""{JUDGED}
    SELECT cell.stage, cell.likelihood, cell.impact, count(*)
    FROM judged, LATERAL (VALUES ('inherent', inherent_likelihood, inherent_impact),
                                 ('residual', residual_likelihood, residual_impact)) AS cell(stage, likelihood, impact)
    WHERE cell.likelihood <> '' AND cell.impact <> ''
    GROUP BY 1, 2, 3
"""  # noqa: S608 (as above)
OWNER = "coalesce(nullif(u.name, ''), u.email)"  # projects.User.display_name; NULL for nobody
TOP_RISKS = f"""{JUDGED}
    SELECT j.number, j.title, {OWNER}, j.treatment, j.level, j.ale, j.above
    FROM judged j LEFT JOIN projects_user u ON u.id = j.owner_id
    WHERE j.ale > 0
    ORDER BY j.ale DESC, j.number
    LIMIT %(top)s
"""  # noqa: S608 (as above)
TEAMS = "SELECT id, slug, name FROM projects_team WHERE organisation_id = %(organisation)s ORDER BY name"
# A project `p` of the organisation, of the team when there is one.
IN_SCOPE = "p.organisation_id = %(organisation)s AND (%(team)s::bigint IS NULL OR p.team_id = %(team)s)"
# Each project's sums in one pass over its own index entries (a lateral join, as the page does: faster than joining
# every scenario to its project and grouping them all by team), summed by team id.
PER_PROJECT_SUMS = f"""
    SELECT p.id, p.name, p.team_id, s.residual, s.inherent
    FROM projects_project p
         CROSS JOIN LATERAL (SELECT sum(sr.residual_ale) AS residual, sum(sr.inherent_ale) AS inherent
                             FROM risks_scenarioresult sr WHERE sr.project_id = p.id) AS s
    WHERE {IN_SCOPE}
"""  # noqa: S608 (as above)
BY_TEAM = f"""
    SELECT team_id, sum(residual), sum(inherent), count(residual)
    FROM ({PER_PROJECT_SUMS}) AS per_project
    GROUP BY team_id HAVING count(residual) > 0
"""  # noqa: S608 (as above)
# The same, with the projects of largest residual loss and how many projects there are, from one reading.
BY_TEAM_AND_PROJECT = f"""
    WITH per_project AS MATERIALIZED ({PER_PROJECT_SUMS})
    (SELECT 'team', team_id, NULL, sum(residual), sum(inherent), count(residual)
     FROM per_project GROUP BY team_id HAVING count(residual) > 0)
    UNION ALL (SELECT 'project', id, name, residual, coalesce(inherent, 0), team_id
               FROM per_project WHERE residual IS NOT NULL ORDER BY residual DESC, name LIMIT %(top)s)
    UNION ALL (SELECT 'count', NULL, NULL, NULL, NULL, count(*) FROM per_project)
"""  # noqa: S608 (as above)
# projects.attention: threats in review or logged after their model's last review (created_at's date in the
# site's time zone, as Django's __date reads it), controls overdue, models not reviewed within 90 days. The threats
# are counted project by project, in one pass over each one's index entries (a lateral join, as the page does).
PROJECTS_IN_SCOPE = (
    f"SELECT p.id, p.name, p.team_id, p.status, p.last_reviewed_on FROM projects_project p WHERE {IN_SCOPE}"  # noqa: S608
)
THREAT_COUNTS = """
    SELECT count(*) FILTER (WHERE t.status = %(in_review)s) AS in_review,
           count(*) FILTER (WHERE p.last_reviewed_on IS NULL
                            OR (t.created_at AT TIME ZONE %(zone)s)::date > p.last_reviewed_on) AS new
    FROM projects_threat t WHERE t.project_id = p.id
"""
STALE = "status <> %(archived)s AND (last_reviewed_on IS NULL OR last_reviewed_on < %(today)s - 90)"
OVERDUE = "c.due_on < %(today)s AND NOT c.status = ANY(%(in_force)s)"
WORK_WAITING = f"""
    WITH projects AS ({PROJECTS_IN_SCOPE}),
    threats AS (
        SELECT coalesce(sum(counts.in_review), 0)::int AS in_review, coalesce(sum(counts.new), 0)::int AS new
        FROM projects p CROSS JOIN LATERAL ({THREAT_COUNTS}) AS counts)
    SELECT threats.in_review, threats.new,
        (SELECT count(*) FROM projects_control c JOIN projects p ON p.id = c.project_id WHERE {OVERDUE}),
        (SELECT count(*) FROM projects WHERE {STALE})
    FROM threats
"""  # noqa: S608 (as above)
# The review queue's rows and totals, and the out-of-date models' rows and count.
WAITING_ROWS = f"""
    WITH projects AS MATERIALIZED ({PROJECTS_IN_SCOPE}),
    per_project AS MATERIALIZED (
        SELECT p.*, counts.in_review, counts.new FROM projects p CROSS JOIN LATERAL ({THREAT_COUNTS}) AS counts)
    (SELECT true, id, name, team_id, last_reviewed_on, in_review, new, sum(in_review) OVER (), sum(new) OVER ()
     FROM per_project WHERE in_review > 0 OR new > 0 ORDER BY in_review DESC, new DESC, name LIMIT %(top)s)
    UNION ALL
    (SELECT false, id, name, team_id, last_reviewed_on, NULL, NULL, count(*) OVER (), NULL
     FROM projects WHERE {STALE} ORDER BY last_reviewed_on NULLS FIRST, name LIMIT %(top)s)
"""  # noqa: S608 (as above)
OVERDUE_ROWS = f"""
    SELECT c.id, c.title, c.status, c.due_on, p.name, {OWNER},
           (SELECT count(*) FROM projects_control c JOIN projects_project p ON p.id = c.project_id
            WHERE {IN_SCOPE} AND {OVERDUE})
    FROM projects_control c JOIN projects_project p ON p.id = c.project_id LEFT JOIN projects_user u ON u.id = c.owner_id
    WHERE {IN_SCOPE} AND {OVERDUE}
    ORDER BY c.due_on, c.title, c.id
    LIMIT %(top)s
"""  # noqa: S608 (as above)
# Each risk's latest approved acceptance, when it runs out within 30 days or ran out (none in force later), with how
# many run out and how many ran out.
ACCEPTANCES = f"""
    WITH latest AS (
        SELECT DISTINCT ON (a.risk_id) a.risk_id, a.expires_on
        FROM risks_riskacceptance a JOIN risks_businessrisk r ON r.id = a.risk_id
        WHERE r.organisation_id = %(organisation)s AND {FED} AND a.status = %(approved)s
        ORDER BY a.risk_id, a.expires_on DESC)
    SELECT r.number, r.title, {OWNER}, l.expires_on,
           count(*) OVER (), count(*) FILTER (WHERE l.expires_on < %(today)s) OVER ()
    FROM latest l JOIN risks_businessrisk r ON r.id = l.risk_id LEFT JOIN projects_user u ON u.id = r.owner_id
    WHERE l.expires_on <= %(horizon)s
    ORDER BY l.expires_on, r.number
    LIMIT %(top)s
"""  # noqa: S608 (as above)
TREND = """
    SELECT taken_on, coalesce((figures #>> '{above_appetite,count}')::int, 0),
           coalesce((figures #>> '{above_appetite,ale_mean}')::float, 0),
           coalesce((figures #>> '{portfolio,residual,ale_mean}')::float, 0)
    FROM risks_risksnapshot
    WHERE organisation_id = %(organisation)s AND taken_on > %(today)s - %(trend_days)s
    ORDER BY taken_on
"""
PORTFOLIO = "SELECT computed_at, figures FROM risks_portfolioresult WHERE organisation_id = %(organisation)s"
THREAT_COUNT = """
    SELECT count(*) FROM projects_threat t JOIN projects_project p ON p.id = t.project_id
    WHERE p.organisation_id = %(organisation)s
"""
# The page's rows: each threat with its project, team and owner, by project name then number.
THREAT_PAGE = """
    SELECT t.id, t.number, t.threat_source, t.threat_action, t.status, p.name, tm.name, u.name
    FROM projects_threat t JOIN projects_project p ON p.id = t.project_id
         JOIN projects_team tm ON tm.id = p.team_id LEFT JOIN projects_user u ON u.id = t.owner_id
    WHERE p.organisation_id = %(organisation)s
    ORDER BY p.name, p.id, t.number
    LIMIT %(page)s
"""


@dataclass(frozen=True)
class Aggregates:
    """A dashboard's aggregate figures, as plain values, so the page's read model and a floor can be compared."""

    risks: int
    above_count: int
    above_ale: float
    accepted_count: int
    heat: dict[tuple[str, str, str], int]  # (stage, likelihood, impact) -> risks
    teams: dict[str, tuple[float, float, int]]  # slug -> (residual, inherent, projects)
    in_review: int
    new_since_review: int
    overdue_controls: int
    stale_projects: int

    @classmethod
    def of(cls, board: Dashboard) -> "Aggregates":
        h = board.headline
        return cls(
            risks=h.risks,
            above_count=h.above_count,
            above_ale=h.above_ale,
            accepted_count=h.accepted_count,
            heat={
                (stage, str(likelihood), str(impact)): n
                for stage, cells in board.heat.items()
                for (likelihood, impact), n in cells.items()
            },
            teams={row.slug: (row.residual_ale, row.inherent_ale, row.projects) for row in board.teams},
            in_review=board.in_review,
            new_since_review=board.new_since_review,
            overdue_controls=board.overdue_count,
            stale_projects=board.stale_count,
        )


def _name(user: Any) -> str | None:
    return user.display_name if user else None


def _top_risk(risk: Any) -> tuple[Any, ...]:
    """A row of the top risks table: the risk with the figures scored_risks annotates it with."""
    return (
        risk.number,
        risk.title,
        _name(risk.owner),
        risk.treatment,
        risk.residual_level,
        risk.residual_ale,
        bool(risk.above),  # shown as within appetite when the database answers NULL (no stored tolerance)
    )


@dataclass(frozen=True)
class Shown:
    """Everything a dashboard shows, as plain values: the aggregates, every row of its tables, the trend and the
    portfolio's stored figures (None for a filtered dashboard, which shows neither)."""

    aggregates: Aggregates
    project_count: int
    expiring: int
    expired: int
    team_choices: list[tuple[str, str]]  # (slug, name)
    top_risks: list[tuple[Any, ...]]  # (number, title, owner, treatment, level, loss, above)
    top_projects: list[tuple[Any, ...]]  # (id, name, team, residual, inherent)
    review: list[tuple[Any, ...]]  # (id, name, team, in review, new, last reviewed)
    stale: list[tuple[Any, ...]]  # (id, name, team, last reviewed)
    overdue: list[tuple[Any, ...]]  # (id, title, status, due, project, owner)
    acceptances: list[tuple[Any, ...]]  # (risk number, risk title, owner, runs out)
    trend: list[tuple[Any, ...]] | None  # (day, above count, above loss, residual loss)
    portfolio: tuple[Any, ...] | None  # (computed at, inherent, residual, projected)

    @classmethod
    def of(cls, board: Dashboard) -> "Shown":
        trend, portfolio = board.trend, board.portfolio
        return cls(
            aggregates=Aggregates.of(board),
            project_count=board.project_count,
            expiring=board.expiring_count,
            expired=board.expired_count,
            team_choices=[(team.slug, team.name) for team in board.team_choices],
            top_risks=[_top_risk(risk) for risk in board.top_risks],
            top_projects=[
                (p.project_id, p.name, p.team, p.residual_ale, p.inherent_ale) for p in board.projects
            ],
            review=[
                (r.project_id, r.name, r.team, r.in_review, r.new_since_review, r.last_reviewed_on)
                for r in board.review
            ],
            stale=[(r.project_id, r.name, r.team, r.last_reviewed_on) for r in board.stale_projects],
            overdue=[
                (c.pk, c.title, c.status, c.due_on, c.project.name, _name(c.owner))
                for c in board.overdue_controls
            ],
            acceptances=[
                (a.risk.number, a.risk.title, _name(a.risk.owner), a.expires_on) for a in board.acceptances
            ],
            trend=list(zip(trend.days, trend.above_count, trend.above_ale, trend.residual_ale, strict=True))
            if trend
            else None,
            portfolio=(portfolio.computed_at, portfolio.inherent, portfolio.residual, portfolio.projected)
            if portfolio
            else None,
        )


def floor_params(
    organisation: Organisation, team: Team | None, scales: Scales, today: date
) -> dict[str, Any]:
    return {
        "organisation": organisation.pk,
        "team": team.pk if team else None,
        "today": today,
        "horizon": today + register_selectors.EXPIRING_WITHIN,
        "top": TOP,
        "trend_days": TREND_DAYS,
        "approved": AcceptanceStatus.APPROVED.value,
        "levels": [str(level) for level in LEVELS],
        "appetite": scales.appetite_level.rank,
        # NULL when no tolerance is set: `tolerance > NULL` is never true, as above_appetite() leaves it out.
        "tolerance": scales.tolerance_probability,
        "in_review": ThreatStatus.IN_REVIEW.value,
        "zone": timezone.get_current_timezone_name(),
        "in_force": [str(status) for status in IN_FORCE_STATUSES],
        "archived": ProjectStatus.ARCHIVED.value,
    }


def aggregates_floor(params: dict[str, Any]) -> Aggregates:
    """The dashboard's aggregates alone, in five statements (six for a team): the floor of the earlier runs."""
    with connection.cursor() as cursor:
        params = _fed(cursor, params)
        risks, above_count, above_ale, accepted = _one(cursor, HEADLINE, params)
        heat = _heat(cursor, params)
        teams = {team_id: slug for team_id, slug, _ in _all(cursor, TEAMS, params)}
        by_team = {
            teams[team_id]: (residual, inherent, projects)
            for team_id, residual, inherent, projects in _all(cursor, BY_TEAM, params)
        }
        in_review, new, overdue, stale = _one(cursor, WORK_WAITING, params)
    return Aggregates(risks, above_count, above_ale, accepted, heat, by_team, in_review, new, overdue, stale)


def dashboard_floor(params: dict[str, Any]) -> Shown:
    """Everything the dashboard shows, in eight statements (ten for the whole organisation, with the trend and the
    portfolio), each the fastest form found for its figures."""
    everyone = params["team"] is None
    with connection.cursor() as cursor:
        params = _fed(cursor, params)
        risks, above_count, above_ale, accepted = _one(cursor, HEADLINE, params)
        heat = _heat(cursor, params)
        top_risks = _all(cursor, TOP_RISKS, params)
        teams = {team_id: (slug, name) for team_id, slug, name in _all(cursor, TEAMS, params)}
        by_team, top_projects, project_count = {}, [], 0
        for kind, key, name, residual, inherent, extra in _all(cursor, BY_TEAM_AND_PROJECT, params):
            if kind == "team":
                by_team[teams[key][0]] = (residual, inherent, extra)
            elif kind == "project":
                top_projects.append((key, name, teams[extra][1], residual, inherent))
            else:
                project_count = extra
        review, stale, in_review, new, stale_count = [], [], 0, 0, 0
        for waiting, pk, name, team, reviewed, in_review_here, new_here, total, total_new in _all(
            cursor, WAITING_ROWS, params
        ):
            if waiting:
                review.append((pk, name, teams[team][1], in_review_here, new_here, reviewed))
                in_review, new = int(total), int(total_new)
            else:
                stale.append((pk, name, teams[team][1], reviewed))
                stale_count = int(total)
        overdue_rows = _all(cursor, OVERDUE_ROWS, params)
        acceptances = _all(cursor, ACCEPTANCES, params)
        trend = _all(cursor, TREND, params) if everyone else None
        portfolio = _one(cursor, PORTFOLIO, params) if everyone else None
    running_out, ran_out = acceptances[0][4:6] if acceptances else (0, 0)
    stored = json.loads(portfolio[1]) if portfolio else {}  # Django's connections hand jsonb over as text
    return Shown(
        aggregates=Aggregates(
            risks,
            above_count,
            above_ale,
            accepted,
            heat,
            by_team,
            in_review,
            new,
            overdue_rows[0][6] if overdue_rows else 0,
            stale_count,
        ),
        project_count=project_count,
        expiring=running_out - ran_out,
        expired=ran_out,
        team_choices=[(slug, name) for slug, name in teams.values()],
        top_risks=top_risks,
        top_projects=top_projects,
        review=review,
        stale=stale,
        overdue=[row[:6] for row in overdue_rows],
        acceptances=[row[:4] for row in acceptances],
        trend=trend,
        portfolio=(
            portfolio[0],
            *(StageFigures.from_json(stored[stage]) for stage in ("inherent", "residual", "projected")),
        )
        if portfolio
        else None,
    )


def _fed(cursor: Any, params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the ids of the risks the team's threats lead to; None, for no team."""
    fed = None if params["team"] is None else [risk for (risk,) in _all(cursor, FED_IDS, params)]
    return params | {"fed": fed}


def _one(cursor: Any, sql: str, params: dict[str, Any]) -> Any:
    cursor.execute(sql, params)
    return cursor.fetchone()


def _all(cursor: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _heat(cursor: Any, params: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    return {(stage, likelihood, impact): n for stage, likelihood, impact, n in _all(cursor, HEAT, params)}


def threat_list_floor(params: dict[str, Any]) -> tuple[int, list[int]]:
    """The estate threat list's count and its first page's rows (their ids returned, for the check)."""
    with connection.cursor() as cursor:
        (count,) = _one(cursor, THREAT_COUNT, params)
        return count, [row[0] for row in _all(cursor, THREAT_PAGE, params | {"page": PER_PAGE})]


def _agree(page: object, floor: object) -> bool:
    """The same figures; sums of floats to nine significant figures (Postgres may add them in another order)."""
    if isinstance(page, float) or isinstance(floor, float):
        return math.isclose(float(page), float(floor), rel_tol=1e-9, abs_tol=1e-6)  # type: ignore[arg-type]
    if is_dataclass(page) and type(page) is type(floor):
        return all(_agree(getattr(page, each.name), getattr(floor, each.name)) for each in fields(page))
    if isinstance(page, dict) and isinstance(floor, dict):
        return page.keys() == floor.keys() and all(_agree(page[key], floor[key]) for key in page)
    if isinstance(page, tuple | list) and isinstance(floor, tuple | list):
        return len(page) == len(floor) and all(map(_agree, page, floor))
    return page == floor


def check(name: str, page: object, floor: object) -> None:
    """Stop the run when the floor does not give the page's figure: a floor that counts something else is no
    floor."""
    if not _agree(page, floor):
        raise RuntimeError(f"The floor is not the page: {name} is {page!r} on the page, {floor!r} in SQL.")


def check_dashboard(board: Dashboard, params: dict[str, Any]) -> None:
    """Both floors against the page's read model, figure by figure."""
    page, aggregates, floor = Shown.of(board), aggregates_floor(params), dashboard_floor(params)
    for each in fields(Aggregates):
        check(each.name, getattr(page.aggregates, each.name), getattr(aggregates, each.name))
    for each in fields(Shown):
        check(each.name, getattr(page, each.name), getattr(floor, each.name))


# The run --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    page: str
    timing: Timing
    queries: int
    sql_ms: (
        float  # per request, the median time its queries took (the rest is Django, the template, the client)
    )
    floor: Timing | None  # everything the page shows, by hand-written SQL
    aggregates: Timing | None = None  # a dashboard's aggregate figures alone

    @property
    def ratio(self) -> float | None:
        return self.timing.median_ms / self.floor.median_ms if self.floor else None


def page_row(
    name: str,
    client: Client,
    url: str,
    floor: Callable[[], object] | None,
    aggregates: Callable[[], object] | None = None,
    runs: int = RUNS,
) -> Row:
    in_sql: list[float] = []  # per request, the milliseconds its queries took

    def get() -> None:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            sys.exit(f"{name}: {url} answered {response.status_code}, not 200")

    def waited(execute: Callable[..., object], *args: object) -> object:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            in_sql[-1] += (time.perf_counter() - started) * 1000

    def get_timing_sql() -> None:
        in_sql.append(0.0)
        with connection.execute_wrapper(waited):
            get()

    with CaptureQueriesContext(connection) as queries:
        get()
    query_count = len(queries)  # now: the next request clears the connection's log
    floors = [run for run in (floor, aggregates) if run is not None]
    timing, *floor_timings = timed(get_timing_sql, *floors, times=runs)
    floor_timing, aggregates_timing = (*floor_timings, None, None)[:2]
    return Row(name, timing, query_count, statistics.median(in_sql[-runs:]), floor_timing, aggregates_timing)


def build() -> tuple[Organisation, float, float]:
    """The default estate, then its results recomputed after a counted change; the seconds each took."""
    started = time.perf_counter()
    call_command("seed_estate", name=ESTATE, stdout=StringIO(), **SIZE)
    built = time.perf_counter()
    organisation = Organisation.objects.get(name=ESTATE)
    # seed_estate writes in bulk and counts no change, so its results record none and every page would take
    # the slow, exact staleness check; an estate in use has a counter, which the recomputed results record.
    changes.next_change(organisation.pk)
    recompute(organisation.pk)
    recomputed = time.perf_counter()
    # VACUUM as well as ANALYZE: the recomputation replaced every scenario result, and until autovacuum has
    # been by, the dead rows hide the new indexes' visibility map and every "index-only" scan reads the table.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return organisation, built - started, recomputed - built


def measure(organisation: Organisation) -> list[Row]:
    """Check each floor against its read model, then time the pages and the floors."""
    lead = (
        Membership.objects.filter(organisation=organisation, role=Role.SECURITY_LEAD)
        .select_related("organisation", "user")
        .earliest("pk")
    )
    client = Client()
    client.force_login(lead.user)
    team = organisation.teams.order_by("name")[0]
    today = timezone.localdate()
    scales = Scales.of(inputs.settings_of(organisation))
    everyone, one_team = (
        floor_params(organisation, None, scales, today),
        floor_params(organisation, team, scales, today),
    )
    check_dashboard(dashboard(organisation, DashboardFilters(), today), everyone)
    check_dashboard(dashboard(organisation, DashboardFilters(team=team.slug), today), one_team)
    threats = workspace_selectors.estate_threats_of(lead)
    count, first_page = threat_list_floor(everyone)
    check("threats", threats.count(), count)
    check("first page", list(threats.values_list("pk", flat=True)[:PER_PAGE]), first_page)

    url = reverse("organisation_dashboard", args=[organisation.slug])
    rows = [
        page_row(
            "organisation dashboard",
            client,
            url,
            lambda: dashboard_floor(everyone),
            lambda: aggregates_floor(everyone),
        ),
        page_row(
            f"team dashboard ({team.name})",
            client,
            f"{url}?team={team.slug}",
            lambda: dashboard_floor(one_team),
            lambda: aggregates_floor(one_team),
        ),
        page_row(
            "estate threat list, first page",
            client,
            reverse("estate_threat_list", args=[organisation.slug]),
            lambda: threat_list_floor(everyone),
        ),
    ]
    if changes.current_change(organisation.pk) is None:
        raise RuntimeError("The cache lost the change counter while timing (flushed?): run the bench again.")
    # Last, as it forgets the counter: what the dashboard costs when the cache has lost the change counter (a
    # day without changes, or a flush), and risks.selectors reads every input to tell whether it is stale.
    cache.delete(changes._key(organisation.pk))
    rows.append(page_row("organisation dashboard, change counter lost", client, url, None, runs=5))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| page | median ms | p90 ms | queries | of which SQL, ms | floor median ms | floor p90 ms | page / floor"
        " | aggregates alone, median ms | page / aggregates |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        cells = [row.page, f"{row.timing.median_ms:.1f}", f"{row.timing.p90_ms:.1f}", str(row.queries)]
        cells.append(f"{row.sql_ms:.1f}")
        if row.floor:
            cells += [f"{row.floor.median_ms:.1f}", f"{row.floor.p90_ms:.1f}", f"{row.ratio:.1f}x"]
        else:
            cells += ["", "", ""]
        if row.aggregates:
            ratio = row.timing.median_ms / row.aggregates.median_ms
            cells += [f"{row.aggregates.median_ms:.1f}", f"{ratio:.1f}x"]
        else:
            cells += ["", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(row: Row) -> str:
    """Whether the organisation dashboard meets issue 6's two goals, each said plainly, and where it stands
    against its aggregates alone."""
    fast = row.timing.median_ms < GOAL_MS
    near = (row.ratio or math.inf) <= GOAL_RATIO
    aggregates = row.timing.median_ms / row.aggregates.median_ms if row.aggregates else math.inf
    return (
        f"Goals for the organisation dashboard: median under {GOAL_MS} ms {'met' if fast else 'NOT met'} "
        f"({row.timing.median_ms:.0f} ms); within {GOAL_RATIO}x of its floor {'met' if near else 'NOT met'} "
        f"({row.ratio:.1f}x). Against its aggregates alone (the stricter floor of the earlier runs) it is "
        f"{aggregates:.1f}x, {'within' if aggregates <= GOAL_RATIO else 'NOT within'} {GOAL_RATIO}x."
    )


def _options() -> str:
    return " ".join(f"--{name.replace('_', '-')} {value}" for name, value in SIZE.items())


def section(organisation: Organisation, rows: list[Row], built_s: float, recomputed_s: float) -> str:
    estate = {
        "teams": organisation.teams.count(),
        "projects": Project.objects.filter(organisation=organisation).count(),
        "threats": Threat.objects.filter(project__organisation=organisation).count(),
        "controls": Control.objects.filter(project__organisation=organisation).count(),
        "business risks": BusinessRisk.objects.filter(organisation=organisation).count(),
        "scenarios": ScenarioResult.objects.filter(risk__organisation=organisation).count(),
        "snapshots": RiskSnapshot.objects.filter(organisation=organisation).count(),
    }
    load = " / ".join(f"{each:.1f}" for each in os.getloadavg())
    return "\n".join(
        [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, dashboards at the default estate size",
            "",
            f"- machine: {machine()}; load average {load} (1 / 5 / 15 min) before timing",
            f"- Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {server_version()},"
            f" DEBUG off; throwaway database, dropped afterwards",
            f"- estate (`seed_estate` {_options() or 'defaults'}): "
            + ", ".join(f"{n:,} {what}" for what, n in estate.items()),
            f"- built in {built_s:.0f} s, results recomputed in {recomputed_s:.0f} s; then VACUUM ANALYZE",
            f"- {RUNS} timed requests per row, each followed by a run of its floor and of its aggregates alone, after"
            f" {WARM_UP} warm-up rounds, signed in as a security lead; the floors' figures checked equal to the pages'",
            "- floor: every figure and row the dashboard shows, by hand-written SQL; aggregates alone: its headline,"
            " heat maps, risk by team and work-waiting counts (the floor of the runs before this one)",
            "",
            table(rows),
            "",
            verdict(rows[0]),
            "",
        ]
    )


_built: tuple[Organisation, float, float] | None = None


def estate() -> tuple[Organisation, float, float]:
    """build() once per run: `make bench` times the dashboards and the reports on the same estate."""
    global _built
    if _built is None:
        _built = build()
    return _built


def run() -> None:
    """Time the dashboards on the default estate, in the current (throwaway) database."""
    # Import every URL's view now, not after the build: a tree broken mid-edit should stop the run in a second,
    # not after twenty minutes of building.
    reverse("healthz")
    started = time.perf_counter()
    organisation, built_s, recomputed_s = estate()
    text = section(organisation, measure(organisation), built_s, recomputed_s)
    print(text)
    with RESULTS.open("a") as results:
        results.write("\n" + text)
    print(f"Added to {RESULTS.name}. Took {time.perf_counter() - started:.0f} s.")


def main() -> None:
    with throwaway_database("bench_dash"):
        run()

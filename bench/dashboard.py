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
The dashboards' floor is the aggregates the page shows (headline, both heat maps, risk by team, the work
waiting); the page does more (top tables, acceptances, trend, the portfolio curve, charts), so the ratio says
what that and Django cost on top of the SQL that cannot be avoided. Beside each page's time is how much of it its
own queries took, all of them, so the rest is what Django and the template cost.

The table is printed and added to bench/RESULTS.md as a new dated section. `python -m bench dashboard` runs
this section alone; it takes about ten minutes, most of it building the estate.
"""

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
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
from reports.dashboard import Dashboard, DashboardFilters, dashboard
from risks import changes, inputs
from risks.inputs import Scales
from risks.models import AcceptanceStatus, BusinessRisk, RiskSnapshot, ScenarioResult
from risks.results import recompute
from risks.scoring.levels import LEVELS

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

# The business risks in scope, with the stored residual figures and whether an acceptance is in force
# (risks.register_selectors.scored_risks), narrowed to those a team's threats lead to (fed_by).
RISKS_IN_SCOPE = """
    SELECT r.id, rr.inherent_likelihood, rr.inherent_impact, rr.residual_likelihood, rr.residual_impact,
           nullif(rr.residual_level, '') AS level, rr.residual_ale AS ale, rr.residual_tolerance AS tolerance,
           EXISTS (SELECT 1 FROM risks_riskacceptance a
                   WHERE a.risk_id = r.id AND a.status = %(approved)s AND a.expires_on >= %(today)s) AS accepted
    FROM risks_businessrisk r LEFT JOIN risks_riskresult rr ON rr.risk_id = r.id
    WHERE r.organisation_id = %(organisation)s
      AND (%(team)s::bigint IS NULL OR EXISTS (
           SELECT 1 FROM risks_scenario s JOIN projects_threat t ON t.id = s.threat_id
                JOIN projects_project p ON p.id = t.project_id
           WHERE s.risk_id = r.id AND p.team_id = %(team)s))
"""
HEADLINE = f"""
    WITH risks AS ({RISKS_IN_SCOPE}),
    judged AS (
        SELECT *, level IS NOT NULL AND NOT accepted
                  AND (array_position(%(levels)s::text[], level) - 1 > %(appetite)s
                       OR tolerance > %(tolerance)s) AS above
        FROM risks)
    SELECT count(*), count(*) FILTER (WHERE above), coalesce(sum(ale) FILTER (WHERE above), 0),
           count(*) FILTER (WHERE accepted)
    FROM judged
"""  # noqa: S608 (made of constants; the values are parameters)
HEAT = f"""
    WITH risks AS MATERIALIZED ({RISKS_IN_SCOPE})
    SELECT cell.stage, cell.likelihood, cell.impact, count(*)
    FROM risks, LATERAL (VALUES ('inherent', inherent_likelihood, inherent_impact),
                                ('residual', residual_likelihood, residual_impact)) AS cell(stage, likelihood, impact)
    WHERE cell.likelihood <> '' AND cell.impact <> ''
    GROUP BY 1, 2, 3
"""  # noqa: S608 (as above)
# Each project's sums in one pass over its own index entries (a lateral join, as the page does: faster than joining
# every scenario to its project and grouping them all by team), summed by team id, then named.
BY_TEAM = """
    SELECT tm.slug, sums.residual, sums.inherent, sums.projects
    FROM (SELECT p.team_id, sum(s.residual) AS residual, sum(s.inherent) AS inherent,
                 count(s.residual) AS projects
          FROM projects_project p
               CROSS JOIN LATERAL (SELECT sum(sr.residual_ale) AS residual, sum(sr.inherent_ale) AS inherent
                                   FROM risks_scenarioresult sr WHERE sr.project_id = p.id) AS s
          WHERE p.organisation_id = %(organisation)s AND (%(team)s::bigint IS NULL OR p.team_id = %(team)s)
          GROUP BY p.team_id HAVING count(s.residual) > 0) AS sums
         JOIN projects_team tm ON tm.id = sums.team_id
"""
# projects.attention: threats in review or logged after their model's last review (created_at's date in the
# site's time zone, as Django's __date reads it), controls overdue, models not reviewed within 90 days. The threats
# are counted project by project, in one pass over each one's index entries (a lateral join, as the page does).
WORK_WAITING = """
    WITH projects AS (
        SELECT id, status, last_reviewed_on FROM projects_project
        WHERE organisation_id = %(organisation)s AND (%(team)s::bigint IS NULL OR team_id = %(team)s)),
    threats AS (
        SELECT coalesce(sum(counts.in_review), 0)::int AS in_review, coalesce(sum(counts.new), 0)::int AS new
        FROM projects p CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE t.status = %(in_review)s) AS in_review,
                    count(*) FILTER (WHERE p.last_reviewed_on IS NULL
                                     OR (t.created_at AT TIME ZONE %(zone)s)::date > p.last_reviewed_on) AS new
             FROM projects_threat t WHERE t.project_id = p.id) AS counts)
    SELECT threats.in_review, threats.new,
        (SELECT count(*) FROM projects_control c JOIN projects p ON p.id = c.project_id
         WHERE c.due_on < %(today)s AND NOT c.status = ANY(%(in_force)s)),
        (SELECT count(*) FROM projects WHERE status <> %(archived)s
                AND (last_reviewed_on IS NULL OR last_reviewed_on < %(today)s - 90))
    FROM threats
"""
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
class Figures:
    """What a dashboard shows, as plain values, so the page's read model and the floor can be compared."""

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
    def of(cls, board: Dashboard) -> "Figures":
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


def _params(organisation: Organisation, team: Team | None, scales: Scales, today: date) -> dict[str, Any]:
    return {
        "organisation": organisation.pk,
        "team": team.pk if team else None,
        "today": today,
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


def dashboard_floor(params: dict[str, Any]) -> Figures:
    """The dashboard's aggregates in four statements."""
    with connection.cursor() as cursor:
        cursor.execute(HEADLINE, params)
        risks, above_count, above_ale, accepted = cursor.fetchone()
        cursor.execute(HEAT, params)
        heat = {(stage, likelihood, impact): n for stage, likelihood, impact, n in cursor.fetchall()}
        cursor.execute(BY_TEAM, params)
        teams = {
            slug: (residual, inherent, projects) for slug, residual, inherent, projects in cursor.fetchall()
        }
        cursor.execute(WORK_WAITING, params)
        in_review, new, overdue, stale = cursor.fetchone()
    return Figures(risks, above_count, above_ale, accepted, heat, teams, in_review, new, overdue, stale)


def threat_list_floor(params: dict[str, Any]) -> tuple[int, list[int]]:
    """The estate threat list's count and its first page's rows (their ids returned, for the check)."""
    with connection.cursor() as cursor:
        cursor.execute(THREAT_COUNT, params)
        count = cursor.fetchone()[0]
        cursor.execute(THREAT_PAGE, params | {"page": PER_PAGE})
        return count, [row[0] for row in cursor.fetchall()]


def _agree(page: object, floor: object) -> bool:
    """The same figures; sums of floats to nine significant figures (Postgres may add them in another order)."""
    if isinstance(page, float) or isinstance(floor, float):
        return math.isclose(float(page), float(floor), rel_tol=1e-9, abs_tol=1e-6)  # type: ignore[arg-type]
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


def check_dashboard(board: Dashboard, floor: Figures) -> None:
    page = Figures.of(board)
    for each in fields(Figures):
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
    floor: Timing | None

    @property
    def ratio(self) -> float | None:
        return self.timing.median_ms / self.floor.median_ms if self.floor else None


def page_row(
    name: str, client: Client, url: str, floor: Callable[[], object] | None, runs: int = RUNS
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
    if floor is None:
        [timing], floor_timing = timed(get_timing_sql, times=runs), None
    else:
        timing, floor_timing = timed(get_timing_sql, floor, times=runs)
    return Row(name, timing, query_count, statistics.median(in_sql[-runs:]), floor_timing)


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
        _params(organisation, None, scales, today),
        _params(organisation, team, scales, today),
    )
    check_dashboard(dashboard(organisation, DashboardFilters(), today), dashboard_floor(everyone))
    check_dashboard(
        dashboard(organisation, DashboardFilters(team=team.slug), today), dashboard_floor(one_team)
    )
    threats = workspace_selectors.estate_threats_of(lead)
    count, first_page = threat_list_floor(everyone)
    check("threats", threats.count(), count)
    check("first page", list(threats.values_list("pk", flat=True)[:PER_PAGE]), first_page)

    url = reverse("organisation_dashboard", args=[organisation.slug])
    rows = [
        page_row("organisation dashboard", client, url, lambda: dashboard_floor(everyone)),
        page_row(
            f"team dashboard ({team.name})",
            client,
            f"{url}?team={team.slug}",
            lambda: dashboard_floor(one_team),
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
        "| page | median ms | p90 ms | queries | of which SQL, ms | floor median ms | floor p90 ms | page / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        floor = (
            f"{row.floor.median_ms:.1f} | {row.floor.p90_ms:.1f} | {row.ratio:.1f}x" if row.floor else "| |"
        )
        lines.append(
            f"| {row.page} | {row.timing.median_ms:.1f} | {row.timing.p90_ms:.1f} | {row.queries} | {row.sql_ms:.1f}"
            f" | {floor} |"
        )
    return "\n".join(lines)


def verdict(row: Row) -> str:
    """Whether the organisation dashboard meets issue 6's two goals, each said plainly."""
    fast = row.timing.median_ms < GOAL_MS
    near = (row.ratio or math.inf) <= GOAL_RATIO
    return (
        f"Goals for the organisation dashboard: median under {GOAL_MS} ms {'met' if fast else 'NOT met'} "
        f"({row.timing.median_ms:.0f} ms); within {GOAL_RATIO}x of its floor {'met' if near else 'NOT met'} "
        f"({row.ratio:.1f}x)."
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
            f"- {RUNS} timed requests per row, each followed by a run of its floor, after {WARM_UP} warm-up rounds,"
            " signed in as a security lead; the floors' figures checked equal to the pages'",
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

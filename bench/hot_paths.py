"""Time per request of the foundation's hot paths, for an organisation of 1 member and one of 1,000.

It makes a throwaway database of its own beside the one DATABASE_URL names (never touching that one), migrates
and fills it, requests each page through Django's test client as a signed-in owner (or with a personal access
token for the API), prints a Markdown table and drops the database again.
"""

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import django
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import workspace
from bench.throwaway import throwaway_database
from projects.models import Membership, Organisation, Team, User
from projects.roles import Role
from projects.services import api_token_create

SIZES = (1, 1_000)
TEAMS_PER_ORGANISATION = 10
# Each case runs until it has this many timed requests or has used its time, whichever comes first.
MOST_REQUESTS, TIME_PER_CASE_SECONDS, FEWEST_REQUESTS, WARM_UP_REQUESTS = 200, 1.5, 5, 3


@dataclass(frozen=True)
class Case:
    name: str
    url: Callable[[Organisation], str]
    api: bool = False


CASES = [
    Case("organisation dashboard (HTML)", lambda o: reverse("organisation_dashboard", args=[o.slug])),
    Case("member list (HTML, every member)", lambda o: reverse("member_list", args=[o.slug])),
    Case(
        "API: memberships, first page (token)", lambda o: reverse("api_membership_list", args=[o.slug]), True
    ),
    Case("API: me (token)", lambda o: reverse("api_me"), True),
    Case("healthz", lambda o: reverse("healthz")),
]


@dataclass(frozen=True)
class Measurement:
    case: str
    size: int
    median_ms: float
    p90_ms: float
    queries: int
    requests: int


def organisation_of(size: int) -> tuple[Organisation, User]:
    """An organisation of `size` members (one owner, the rest engineers in ten teams), made in bulk."""
    organisation = Organisation.objects.create(name=f"Bench {size}", slug=f"bench-{size}")
    teams = Team.objects.bulk_create(
        Team(organisation=organisation, name=f"Team {n}", slug=f"team-{n}")
        for n in range(TEAMS_PER_ORGANISATION)
    )
    # "!" is an unusable password: hashing 1,000 real ones would time the hasher, not the app.
    users = User.objects.bulk_create(
        User(email=f"person{n}@bench-{size}.test", name=f"Person {n}", password="!") for n in range(size)
    )
    memberships = Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, role=Role.OWNER if n == 0 else Role.ENGINEER)
        for n, user in enumerate(users)
    )
    Membership.teams.through.objects.bulk_create(
        Membership.teams.through(membership=membership, team=teams[n % len(teams)])
        for n, membership in enumerate(memberships)
    )
    return organisation, users[0]


def measure(case: Case, size: int, organisation: Organisation, owner: User) -> Measurement:
    return measure_url(case.name, case.url(organisation), size, owner, api=case.api)


def measure_url(
    name: str, url: str, size: int, owner: User, *, api: bool = False, htmx: bool = False
) -> Measurement:
    client = Client()
    headers: dict[str, str] = {"HX-Request": "true"} if htmx else {}
    if api:
        headers["Authorization"] = f"Bearer {api_token_create(user=owner, name=name).plaintext}"
    else:
        client.force_login(owner)

    def get() -> None:
        response = client.get(url, headers=headers, secure=True)
        if response.status_code != 200:
            sys.exit(f"{name}: {url} answered {response.status_code}, not 200")

    for _ in range(WARM_UP_REQUESTS):
        get()
    with CaptureQueriesContext(connection) as queries:
        get()
    # Count now: the captured list is read from the connection's log, which the next request clears.
    query_count = len(queries)
    timings: list[float] = []
    deadline = time.perf_counter() + TIME_PER_CASE_SECONDS
    while len(timings) < MOST_REQUESTS and (len(timings) < FEWEST_REQUESTS or time.perf_counter() < deadline):
        start = time.perf_counter()
        get()
        timings.append((time.perf_counter() - start) * 1000)
    return Measurement(
        case=name,
        size=size,
        median_ms=statistics.median(timings),
        p90_ms=statistics.quantiles(timings, n=10)[-1],
        queries=query_count,
        requests=len(timings),
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0]).split()[0]


def table(measurements: list[Measurement], size_label: str = "members") -> str:
    lines = [
        f"| request | {size_label} | median ms | p90 ms | queries | requests timed |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {m.case} | {m.size:,} | {m.median_ms:.1f} | {m.p90_ms:.1f} | {m.queries} | {m.requests} |"
        for m in measurements
    ]
    return "\n".join(lines)


def main() -> None:
    started = time.perf_counter()
    with throwaway_database("bench"):
        print(f"# Benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
        print(f"- machine: {machine()}")
        print(
            f"- Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {server_version()}"
        )
        print(f"- throwaway database {connection.settings_dict['NAME']}, dropped afterwards\n")
        organisations = {size: organisation_of(size) for size in SIZES}
        measurements = [measure(case, size, *organisations[size]) for case in CASES for size in SIZES]
        print(table(measurements))
        print("\n## Workspace\n")
        projects = {size: workspace.project_of(size) for size in workspace.SIZES}
        print(
            table(
                [
                    measure_url(
                        c.name, c.url(projects[size][0]), size, projects[size][1], api=c.api, htmx=c.htmx
                    )
                    for c in workspace.CASES
                    for size in workspace.SIZES
                ],
                size_label="threats",
            )
        )
    print(f"\nTook {time.perf_counter() - started:.0f} s.")

"""The PDF reports at the default estate size (issue 7, "Performance"): the executive summary, and the project
report at 100 and at 1,000 threats, each project report next to its floor, WeasyPrint printing a plain table of
the same number of pages.

It makes a throwaway database of its own beside the one DATABASE_URL names (never touching that one) and builds
in it `seed_estate`'s default estate the way the dashboards' bench does (bench.dashboard.build: 500 projects of
100 threats and 60 controls, 200 business risks, results recomputed after a counted change, VACUUM ANALYZE),
and, before it, a second organisation from `seed_estate` with one project of 1,000 threats and 600 controls
linked to 200 business risks, written with the same bulk inserts.

Every measurement runs in a fresh Python process of its own (`python -c CHILD <spec>`), the way a worker process
renders: Django set up, one tiny PDF printed first (WeasyPrint's fonts and caches, which a worker pays once), then
`reports.documents.render` timed end to end on a Report made as the task makes it. Peak memory is the process's
peak resident set, VmHWM in /proc/self/status (ru_maxrss would do, but Linux carries it over exec from the
forking parent, this bench's big process); its resident set after the warm-up is given beside it. That peak is
what a worker's memory threshold (CELERY_WORKER_MAX_MEMORY_PER_CHILD) is about.

Where the time goes is read in the same run, without a profiler's overhead: the SQL through an execute wrapper;
the template, WeasyPrint's parsing of the HTML, its layout and its PDF writing by timing those calls where
reports.documents and reports.pdf make them; "reading" is the rest (the report module's queries and Python), and
each of its stages is timed from the progress the report module reports.

The floor is the app's own print stylesheet and PDF path (reports.pdf.html_to_pdf, A4) over one plain table whose
rows look like a threat's (a reference, a two-line statement, STRIDE, status, owner), as many rows as give the
report's page count, found by printing it. The table is printed and added to bench/RESULTS.md as a new dated
section. `python -m bench reports` runs this section alone; it takes about half an hour, half of it
building the estate.
"""

import html
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from io import StringIO
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import django
import pypdf
import weasyprint
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.templatetags.static import static
from django.test.utils import setup_test_environment

from bench import dashboard
from bench.hot_paths import machine, server_version
from bench.throwaway import throwaway_database
from projects.models import Organisation, Project, Threat
from reports import documents, pdf
from reports.models import PaperSize, Report, ReportKind

LARGE = "Globex Large System"  # the organisation of the project of 1,000 threats
LARGE_SIZE = {
    "teams": 1,
    "projects": 1,
    "threats_per_project": 1_000,
    "controls_per_project": 600,
    "snapshot_days": 0,
}
RUNS = 3  # processes per measurement: the median time and the highest peak are given
PAPER = PaperSize.A4
GOAL_EXECUTIVE_S, GOAL_FLOOR_RATIO, GOAL_PEAK_MB = 5.0, 1.5, 1024
FLOOR_SAMPLE_ROWS, FLOOR_ATTEMPTS = 300, 6
CHILD = (
    "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'threatmodel.settings'); "
    "django.setup(); from bench.reports import child; child()"
)
# reports.documents' stage after the reading (the template, the layout and the writing, timed as phases)
LAYING_OUT = "Laying out the pages"
WARM_UP = "<!doctype html><title>Warm-up</title><p>One line, to load the fonts once.</p>"
# The calls whose time is counted as a phase: where reports.documents and reports.pdf make them.
PHASES: list[tuple[object, str, str]] = [
    (documents, "render_to_string", "template"),
    (weasyprint.HTML, "__init__", "parsing"),
    (weasyprint.HTML, "render", "layout"),
    (weasyprint.document.Document, "write_pdf", "writing"),
]


# One measurement, in its own process -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    # This process's CPU time: the SQL server's work is not in it, nor waiting for the machine's other work.
    cpu_seconds: float
    pages: int
    size: int  # bytes of PDF
    peak_mb: float  # the process's peak resident set
    warm_mb: float  # its resident set after the warm-up, before the measurement
    characters_per_page: float  # of text, whitespace left out: how full the pages are
    phases: dict[str, float]  # template, parsing (the HTML, by WeasyPrint), layout, writing; seconds
    stages: dict[str, float]  # the report module's progress stages; seconds each
    queries: int
    sql_seconds: float

    @property
    def reading_seconds(self) -> float:
        return self.seconds - sum(self.phases.values())


def _memory_mb(field: str) -> float:
    """VmHWM (the peak resident set) or VmRSS (the resident set now) of this process, from /proc. Not
    ru_maxrss: Linux carries that over exec from the forked parent, so a child would report the parent's size."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024  # kB


def text_per_page(made: bytes) -> float:
    """Characters of text a page carries on average (whitespace left out), as pypdf reads them."""
    pages = pypdf.PdfReader(io.BytesIO(made)).pages
    return sum(len("".join((page.extract_text() or "").split())) for page in pages) / len(pages)


@contextmanager
def _timing(owner: object, name: str, phase: str, into: dict[str, float]) -> Iterator[None]:
    """Count the time of every call of owner.name into `phase`, calling the real thing."""
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into[phase] += time.perf_counter() - started

    with mock.patch.object(owner, name, timed):
        yield


def _stage_clock(into: dict[str, float]) -> Callable[[int, str], None]:
    """A progress callback that times each stage the report module names, until the next one."""
    since, current = time.perf_counter(), ""

    def progress(percent: int, stage: str) -> None:
        nonlocal since, current
        now = time.perf_counter()
        if current:
            into[current] += now - since
        since, current = now, stage

    return progress


def floor_html(rows: int) -> str:
    """A plain table in the app's print stylesheet, its rows shaped like a threat's, nothing else."""
    body = "".join(
        f"<tr><td>T-{n}</td><td>An external attacker replays signed requests against the payments service "
        f"{n:05d}, moving money without approval and hiding their tracks in the audit log.</td>"
        f"<td>Spoofing, Tampering</td><td>Confirmed</td><td>Engineer {n % 7 + 1}</td></tr>"
        for n in range(1, rows + 1)
    )
    stylesheet = html.escape(static("css/print.css"))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title>'
        f'<link rel="stylesheet" href="{stylesheet}"></head><body><table><thead><tr><th>Threat</th>'
        f"<th>Statement</th><th>STRIDE</th><th>Status</th><th>Owner</th></tr></thead><tbody>{body}</tbody>"
        "</table></body></html>"
    )


def _maker(spec: dict[str, Any], progress: documents.Progress) -> Callable[[], pdf.Made | documents.Document]:
    """What the measurement makes: the plain table of spec["floor"] rows, or the report the spec names, made as
    the task makes it (the Report and its organisation and project read beforehand)."""
    if "floor" in spec:
        return partial(pdf.html_to_pdf, floor_html(spec["floor"]), paper=PAPER)
    report = Report(
        organisation=Organisation.objects.get(pk=spec["organisation"]),
        kind=spec["kind"],
        project=Project.objects.select_related("organisation").filter(pk=spec["project"]).first(),
        paper=PAPER,
    )
    return partial(documents.render, report, progress)


def child() -> None:
    """Run the measurement sys.argv[1] names ({"floor": rows} or {"kind", "organisation", "project"}) and print
    its Run as JSON."""
    setup_test_environment(debug=False)
    pdf.html_to_pdf(WARM_UP, paper=PAPER)
    stages: dict[str, float] = defaultdict(float)
    make = _maker(json.loads(sys.argv[1]), _stage_clock(stages))
    warm_mb = _memory_mb("VmRSS")
    phases: dict[str, float] = defaultdict(float)
    sql = {"queries": 0, "seconds": 0.0}

    def count_sql(execute: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            sql["queries"] += 1
            sql["seconds"] += time.perf_counter() - started

    with ExitStack() as timers:
        for owner, name, phase in PHASES:
            timers.enter_context(_timing(owner, name, phase, phases))
        timers.enter_context(connection.execute_wrapper(count_sql))
        started, cpu_started = time.perf_counter(), time.process_time()
        made = make()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    run = Run(
        seconds,
        cpu_seconds,
        made.pages,
        len(made.pdf),
        _memory_mb("VmHWM"),
        warm_mb,
        text_per_page(made.pdf),
        dict(phases),
        dict(stages),
        int(sql["queries"]),
        float(sql["seconds"]),
    )
    print(json.dumps(asdict(run)))


def run_in_child(spec: dict[str, Any]) -> Run:
    """One measurement in a fresh process, connected to this run's throwaway database."""
    url = urlsplit(settings.DATABASE_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        env=os.environ | {"DATABASE_URL": url},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"The measurement {spec} failed:\n{done.stderr}")
    return Run(**json.loads(done.stdout.strip().splitlines()[-1]))


# The measurements ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    document: str
    runs: list[Run]
    floor: "Row | None" = field(default=None)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def median_run(self) -> Run:
        return sorted(self.runs, key=lambda run: run.seconds)[len(self.runs) // 2]

    @property
    def pages(self) -> int:
        return self.runs[0].pages

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def peak_mb(self) -> float:
        return max(run.peak_mb for run in self.runs)

    @property
    def ratio(self) -> float | None:
        """How many times the floor's pages per second this document's are below."""
        return self.floor.pages_per_second / self.pages_per_second if self.floor else None

    @property
    def cpu_ratio(self) -> float | None:
        """The same in CPU time a page, which the machine's other work disturbs less than the clock."""
        if self.floor is None:
            return None
        return (self.cpu_seconds / self.pages) / (self.floor.cpu_seconds / self.floor.pages)


def report_row(name: str, kind: str, organisation: Organisation, project: Project | None) -> Row:
    spec = {"kind": kind, "organisation": organisation.pk, "project": project.pk if project else None}
    return Row(name, [run_in_child(spec) for _ in range(RUNS)])


def floor_row(pages: int) -> Row:
    """The plain table of `pages` pages: rows per page estimated from a sample, then corrected by printing."""
    per_page = FLOOR_SAMPLE_ROWS / pdf.html_to_pdf(floor_html(FLOOR_SAMPLE_ROWS), paper=PAPER).pages
    rows = max(1, round(per_page * (pages - 0.5)))
    for _ in range(FLOOR_ATTEMPTS):
        first = run_in_child({"floor": rows})
        if first.pages == pages:
            break
        rows = max(1, rows + (round((pages - first.pages) * per_page) or (1 if first.pages < pages else -1)))
    else:
        sys.exit(f"No plain table of {pages} pages after {FLOOR_ATTEMPTS} tries (last: {first.pages} pages).")
    runs = [first, *(run_in_child({"floor": rows}) for _ in range(RUNS - 1))]
    return Row(f"plain table, {rows:,} rows (floor)", runs)


def with_floor(row: Row) -> list[Row]:
    floor = floor_row(row.pages)
    return [Row(row.document, row.runs, floor), floor]


def large_project() -> Project:
    """The project of 1,000 threats, in an organisation of its own built by seed_estate (results included)."""
    call_command("seed_estate", name=LARGE, stdout=StringIO(), **LARGE_SIZE)
    return Project.objects.get(organisation__name=LARGE)


def measure(estate: Organisation, large: Project) -> list[Row]:
    project = Project.objects.filter(organisation=estate).earliest("pk")
    threats = Threat.objects.filter(project=project).count()
    rows = [report_row("executive summary", ReportKind.EXECUTIVE_SUMMARY, estate, None)]
    for each, count in ((project, threats), (large, Threat.objects.filter(project=large).count())):
        rows += with_floor(
            report_row(f"project report, {count:,} threats", ReportKind.PROJECT, each.organisation, each)
        )
    return rows


# The section ------------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = [
        "| document | pages | text a page | median s | CPU s | pages / s | below the floor (CPU) "
        "| peak MB (after warm-up) | reading s (SQL s, queries) | template s | HTML parsing s | layout s "
        "| PDF writing s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        run = row.median_run
        ratio = f"{row.ratio:.2f}x ({row.cpu_ratio:.2f}x)" if row.ratio and row.cpu_ratio else ""
        lines.append(
            f"| {row.document} | {row.pages} | {run.characters_per_page:,.0f} | {row.seconds:.2f} "
            f"| {row.cpu_seconds:.2f} | {row.pages_per_second:.1f} | {ratio} | {row.peak_mb:.0f} "
            f"({run.warm_mb:.0f}) | {run.reading_seconds:.2f} ({run.sql_seconds:.2f}, {run.queries}) "
            f"| {run.phases.get('template', 0):.2f} | {run.phases.get('parsing', 0):.2f} "
            f"| {run.phases.get('layout', 0):.2f} "
            f"| {run.phases.get('writing', 0):.2f} |"
        )
    return "\n".join(lines)


def stages(rows: list[Row]) -> list[str]:
    """Where each report's reading time went, stage by stage (the median run's)."""
    return [
        f"- {row.document}: "
        + ", ".join(
            f"{stage} {seconds:.2f} s"
            for stage, seconds in row.median_run.stages.items()
            if stage != LAYING_OUT
        )
        for row in rows
        if row.median_run.stages
    ]


def dominant(run: Run) -> str:
    """What takes most of the run's time: one of WeasyPrint's phases, the template, or reading the figures (then
    how much of that is our queries, and its slowest stage)."""
    parts = {
        "WeasyPrint parsing the HTML": run.phases.get("parsing", 0),
        "WeasyPrint's layout": run.phases.get("layout", 0),
        "WeasyPrint writing the PDF": run.phases.get("writing", 0),
        "the template": run.phases.get("template", 0),
        "reading the figures": run.reading_seconds,
    }
    name, seconds = max(parts.items(), key=lambda part: part[1])
    said = f"{name} dominates, {seconds:.2f} s of {run.seconds:.2f} s"
    reading = {stage: took for stage, took in run.stages.items() if stage != LAYING_OUT}
    if name == "reading the figures" and reading:
        slowest = max(reading, key=reading.__getitem__)
        said += (
            f" ({run.sql_seconds:.2f} s of it our {run.queries} queries, the rest our Python; the slowest stage is"
            f' "{slowest}", {reading[slowest]:.2f} s)'
        )
    return said


def verdicts(rows: list[Row]) -> list[str]:
    """Whether each goal of the issue is met, said plainly, with what dominates."""
    executive, *projects = rows
    fast = executive.seconds < GOAL_EXECUTIVE_S
    said = [
        f"- Executive summary under {GOAL_EXECUTIVE_S:.0f} s: {'met' if fast else 'NOT met'} ({executive.seconds:.2f} s"
        f", {executive.cpu_seconds:.2f} s of CPU; {dominant(executive.median_run)})."
    ]
    for row in projects:
        floor = row.floor
        if floor is None or row.ratio is None:
            continue
        met = row.ratio <= GOAL_FLOOR_RATIO
        said.append(
            f"- {row.document.capitalize()} within {GOAL_FLOOR_RATIO}x of the floor in pages per second: "
            f"{'met' if met else 'NOT met'} ({row.pages_per_second:.1f} against {floor.pages_per_second:.1f}"
            f" pages/s, {row.ratio:.2f}x; in CPU time a page {row.cpu_ratio:.2f}x; {dominant(row.median_run)})."
        )
    largest = projects[-2]
    said.append(
        f"- Peak memory under {GOAL_PEAK_MB:,} MB at {largest.document.split(', ')[1]}: "
        f"{'met' if largest.peak_mb < GOAL_PEAK_MB else 'NOT met'} ({largest.peak_mb:.0f} MB)."
    )
    return said


def section(rows: list[Row], built_s: float, recomputed_s: float, took_s: float) -> str:
    load = " / ".join(f"{each:.1f}" for each in os.getloadavg())
    return "\n".join(
        [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PDF reports at the default estate size",
            "",
            f"- machine: {machine()}; load average {load} (1 / 5 / 15 min) after the run",
            f"- Python {platform.python_version()}, Django {django.get_version()}, WeasyPrint "
            f"{weasyprint.__version__}, PostgreSQL {server_version()}, DEBUG off; throwaway database, dropped "
            "afterwards",
            f"- `seed_estate` defaults (built in {built_s:.0f} s, recomputed in {recomputed_s:.0f} s) for the "
            f"executive summary and the 100-threat project; the 1,000-threat project is `seed_estate "
            + " ".join(f"--{name.replace('_', '-')} {value}" for name, value in LARGE_SIZE.items())
            + "` in the same database",
            f"- {RUNS} runs per row, each in a fresh process after a one-line warm-up PDF, A4: the median time (and"
            " the median CPU time of the process), the highest peak resident set (VmHWM); the phases are the median"
            " run's. Text a page: the characters pypdf reads on an average page, whitespace left out. Below the"
            " floor: the floor's pages per second over ours (and the same in CPU time a page)",
            "",
            table(rows),
            "",
            "Reading, stage by stage:",
            "",
            *stages(rows),
            "",
            *verdicts(rows),
            "",
            f"The section took {took_s / 60:.0f} minutes.",
            "",
        ]
    )


def run() -> None:
    """Time the reports on the default estate (dashboard.estate(), built once per run) and a 1,000-threat project,
    in the current (throwaway) database."""
    started = time.perf_counter()
    large = large_project()
    estate, built_s, recomputed_s = dashboard.estate()
    rows = measure(estate, large)
    text = section(rows, built_s, recomputed_s, time.perf_counter() - started)
    print(text)
    with dashboard.RESULTS.open("a") as results:
        results.write("\n" + text)
    print(f"Added to {dashboard.RESULTS.name}.")


def main() -> None:
    with throwaway_database("bench_rep"):
        run()

"""What each report contains, and the PDF made of it: the one entry point the worker calls (render) and the
one the request calls (fingerprint). Each kind of report is a module of its own that reads its figures and
names its print template:

- reports.print_executive: the executive summary (two to four pages for a board);
- reports.print_project: a project's threat model (its system, every threat, the controls plan, the history);
- reports.print_register: the business-risk register (every risk with its scenarios and figures).

Each module has `fingerprint(report) -> str` (what it reads, cheaply: the same on unchanged data) and
`build(report, progress) -> Printable` (the template and its context, with the data's as-of time); reports.pdf
turns the HTML into a PDF with WeasyPrint, fetching nothing but the app's own static files.
"""

import datetime
from dataclasses import dataclass
from typing import Protocol

from django.template.loader import render_to_string

from reports import pdf, print_executive, print_project, print_register
from reports.models import Report, ReportKind
from reports.printable import Printable, Progress


@dataclass(frozen=True)
class Document:
    pdf: bytes
    pages: int
    as_of: datetime.datetime


class ReportModule(Protocol):
    def fingerprint(self, report: Report) -> str: ...

    def build(self, report: Report, progress: Progress) -> Printable: ...


MODULES: dict[str, ReportModule] = {
    ReportKind.EXECUTIVE_SUMMARY: print_executive,
    ReportKind.PROJECT: print_project,
    ReportKind.REGISTER: print_register,
}


def fingerprint(report: Report) -> str:
    return MODULES[report.kind].fingerprint(report)


def render(report: Report, progress: Progress) -> Document:
    """Read the report's figures, lay them out and print them: progress goes from 0 to 99 on the way."""
    progress(5, "Reading the figures")
    printable = MODULES[report.kind].build(report, progress)
    progress(60, "Laying out the pages")
    html = render_to_string(
        printable.template, {**printable.context, "report": report, "as_of": printable.as_of}
    )
    made = pdf.html_to_pdf(html, paper=report.paper)
    progress(95, "Storing the file")
    return Document(pdf=made.pdf, pages=made.pages, as_of=printable.as_of)

"""Printing reports (reports.pdf): the URL fetcher serves the app's static files and data: URLs and refuses
everything else; hostile text in any field fetches nothing and embeds nothing, checked against a local HTTP
server that must hear no request; the paper is A4 or Letter."""

import io
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.templatetags.static import static

from projects.models import Threat
from reports import documents, pdf
from reports.models import PaperSize, Report, ReportKind
from reports.printable import Progress
from risks import services
from risks.results import recompute
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory

STATIC = Path(settings.BASE_DIR) / "static"
A4 = (595.28, 841.89)  # points
LETTER = (612.0, 792.0)


@dataclass(frozen=True)
class Read:
    text: str  # every page's text, whitespace runs made single spaces
    pages: list[str]
    reader: pypdf.PdfReader


def read_pdf(data: bytes) -> Read:
    """The PDF's text as a reader sees it."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    return Read(" ".join(pages), pages, reader)


def ignore_progress(percent: int, words: str) -> None:
    """Progress goes nowhere in these tests (reports.jobs records it in a worker)."""


def assert_progress_rises_within_its_share(
    build: Callable[[Report, Progress], object], report: Report
) -> None:
    """A report module's build says what it does, in words, at rising percentages from 10 to 55: the rest of
    the job is reports.documents' (reading starts at 5, laying out at 60)."""
    said: list[tuple[int, str]] = []

    build(report, lambda percent, words: said.append((percent, words)))

    percents = [percent for percent, _ in said]
    assert percents == sorted(percents)
    assert percents[0] >= 10
    assert percents[-1] <= 55
    assert all(words for _, words in said)


def site(path: str) -> str:
    return pdf.base_url() + path.lstrip("/")


# The fetcher ---------------------------------------------------------------------------------------------------


def test_the_fetcher_serves_a_static_file_from_disk_at_the_url_the_static_tag_gives() -> None:
    response = pdf.StaticOnlyFetcher().fetch(site(static("css/print.css")))

    assert response.read() == (STATIC / "css" / "print.css").read_bytes()
    assert response.content_type == "text/css"


def test_the_fetcher_decodes_data_urls() -> None:
    fetcher = pdf.StaticOnlyFetcher()

    image = fetcher.fetch("data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=")
    text = fetcher.fetch("data:,a%20b")

    assert (image.content_type, image.read()) == ("image/svg+xml", b"<svg></svg>")
    assert (text.content_type, text.read()) == ("text/plain", b"a b")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.com/style.css",
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://example.com/x",
        "gopher://127.0.0.1:70/_x",
        "javascript:alert(1)",
        "//example.com/static/css/print.css",
    ],
)
def test_the_fetcher_refuses_any_other_scheme_or_host(url: str) -> None:
    with pytest.raises(pdf.Refused):
        pdf.StaticOnlyFetcher().fetch(url)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/static/",
        "/static/css/missing.css",
        "/static/../threatmodel/settings.py",
        "/static/%2e%2e/threatmodel/settings.py",
        "/static/css/../../manage.py",
        "/static//etc/passwd",
        "/static/css%5c..%5c..%5cmanage.py",
    ],
)
def test_the_fetcher_refuses_the_sites_other_urls_and_names_that_climb_out(path: str) -> None:
    with pytest.raises(pdf.Refused):
        pdf.StaticOnlyFetcher().fetch(site(path))


def test_the_fetcher_refuses_the_static_path_on_another_host_or_port() -> None:
    own = site(static("css/print.css"))
    scheme, rest = own.split("://", 1)
    host = rest.split("/", 1)[0]

    for url in (
        own.replace(host, host + ".evil.test"),
        own.replace(host, host + "@evil.test"),
        own.replace(host, "127.0.0.2:1"),
        own.replace(scheme + "://", ("https" if scheme == "http" else "http") + "://"),
    ):
        with pytest.raises(pdf.Refused):
            pdf.StaticOnlyFetcher().fetch(url)


def test_the_fetcher_opens_nothing_itself() -> None:
    with pytest.raises(pdf.Refused):
        pdf.StaticOnlyFetcher().open("http://127.0.0.1:9/")


# Paper ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "size"), [(PaperSize.A4, A4), (PaperSize.LETTER, LETTER)])
def test_every_page_has_the_papers_size(paper: str, size: tuple[float, float]) -> None:
    made = pdf.html_to_pdf("<p>One</p><p style='break-before: page'>Two</p>", paper=paper)

    reader = read_pdf(made.pdf).reader
    assert made.pages == len(reader.pages) == 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(size, abs=0.5)


def test_an_unknown_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="a4, letter"):
        pdf.html_to_pdf("<p>x</p>", paper="a3")


def test_a_report_prints_on_letter_when_asked(cast: Cast) -> None:
    report = Report(organisation=cast.organisation, kind=ReportKind.REGISTER, paper=PaperSize.LETTER)

    document = documents.render(report, ignore_progress)

    page = read_pdf(document.pdf).reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(LETTER, abs=0.5)


def test_the_print_style_sheet_is_applied_through_the_fetcher() -> None:
    """The running footer's "Page N of M" exists only in static/css/print.css: if it is printed, the style
    sheet was fetched from disk."""
    html = (
        f'<link rel="stylesheet" href="{static("css/print.css")}">'
        "<p class='cover__organisation'>Acme</p><p style='break-before: page'>Body</p>"
    )

    read = read_pdf(pdf.html_to_pdf(html, paper=PaperSize.A4).pdf)

    assert "Page 2 of 2" in read.pages[1]


# Hostile content ------------------------------------------------------------------------------------------------


class Listener:
    """A local HTTP server that records every request it gets; a report must never send it one."""

    def __init__(self) -> None:
        heard: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                heard.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { background: red }")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.heard = heard
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Listener":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


def hostile(port: int) -> str:
    return (
        f"<img src=http://127.0.0.1:{port}/x>"
        '<link rel=attachment href="file:///etc/passwd">'
        f"<style>@import url(http://127.0.0.1:{port}/y)</style>"
    )


def the_bait_works(listener: Listener) -> None:
    """The listener answers when asked, so silence in the tests below means nothing asked."""
    with urllib.request.urlopen(f"http://127.0.0.1:{listener.port}/ping", timeout=5) as answer:
        assert answer.status == 200
    assert listener.heard == ["/ping"]
    listener.heard.clear()


def hostile_register(cast: Cast, port: int) -> Threat:
    """A risk, a project, a threat and their scenario whose every text field is bait; the threat."""
    lead = cast.membership(cast.security_lead)
    bait = hostile(port)
    risk = services.risk_create(
        membership=lead,
        title=f"<img src=http://127.0.0.1:{port}/title>",
        description=bait + f" background: url(http://127.0.0.1:{port}/css)",
        impact="high",
        treatment="transfer",
        treatment_detail=bait,
        owner=cast.viewer,
    )
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team, name=bait[:200])
    threat = ThreatFactory.create(
        project=project, threat_source=bait[:200], threat_action=bait, threat_impact=bait, likelihood="high"
    )
    services.scenario_create(membership=lead, risk=risk, threat=threat, note=bait[:500])
    recompute(cast.organisation.pk)  # so the risk is among the executive summary's top risks
    return threat


@pytest.mark.parametrize("kind", [ReportKind.EXECUTIVE_SUMMARY, ReportKind.REGISTER, ReportKind.PROJECT])
def test_hostile_text_in_any_field_fetches_nothing_and_embeds_nothing(
    cast: Cast, listener: Listener, kind: str
) -> None:
    the_bait_works(listener)
    threat = hostile_register(cast, listener.port)
    report = Report(
        organisation=cast.organisation,
        kind=kind,
        project=threat.project if kind == ReportKind.PROJECT else None,
        paper=PaperSize.A4,
    )

    document = documents.render(report, ignore_progress)

    read = read_pdf(document.pdf)
    assert listener.heard == []
    assert "root:" not in read.text
    assert read.reader.attachments == {}
    assert f"<img src=http://127.0.0.1:{listener.port}/" in read.text  # printed as the text it is


def test_markup_that_slipped_through_escaping_still_fetches_nothing(listener: Listener) -> None:
    """The fetcher is the second wall: even unescaped, the markup reaches no server and no file."""
    the_bait_works(listener)
    port = listener.port
    html = (
        f"<html><head><link rel=stylesheet href=http://127.0.0.1:{port}/sheet.css>{hostile(port)}</head><body>"
        f"<p style='background: url(http://127.0.0.1:{port}/background)'>Text</p>{hostile(port)}"
        f"<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='10' "
        f"height='10'><image href='http://127.0.0.1:{port}/svg' width='10' height='10'/>"
        f"<image xlink:href='file:///etc/passwd' width='10' height='10'/></svg>"
        f"<object data='file:///etc/passwd'></object><iframe src='file:///etc/passwd'></iframe>"
        f"<a rel=attachment href='file:///etc/passwd'>passwd</a></body></html>"
    )

    read = read_pdf(pdf.html_to_pdf(html, paper=PaperSize.A4).pdf)

    assert listener.heard == []
    assert "root:" not in read.text
    assert read.reader.attachments == {}

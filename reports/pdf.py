"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files and `data:` URLs.

A report prints text its members typed, so the renderer must never reach out: no network, no redirects, no
`file://`, nothing outside the static folders. Templates auto-escape, so hostile text is text; the fetcher is
the second wall should markup ever slip through. It resolves `SITE_URL/static/...` (what `{% static %}` gives,
joined to the base URL) to a file through the staticfiles finders or STATIC_ROOT and reads it from disk
itself; anything else raises, and WeasyPrint leaves that image, style sheet or attachment out.

The base URL is the site's, so links in the PDF (the table of contents aside) lead back to the app.
"""

import base64
import binascii
import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders

PAGE_SIZES = {"a4": "A4", "letter": "letter"}


class Refused(ValueError):
    """A URL the report may not fetch."""


@dataclass(frozen=True)
class Made:
    pdf: bytes
    pages: int


def html_to_pdf(html: str, *, paper: str) -> Made:
    """Lay the HTML out on `paper` ("a4" or "letter") and print it."""
    if paper not in PAGE_SIZES:
        raise ValueError(f"Paper is one of {', '.join(PAGE_SIZES)}, not {paper!r}.")
    document = weasyprint.HTML(string=html, base_url=base_url(), url_fetcher=StaticOnlyFetcher()).render(
        stylesheets=[weasyprint.CSS(string=f"@page {{ size: {PAGE_SIZES[paper]}; }}")]
    )
    return Made(pdf=document.write_pdf(), pages=len(document.pages))


def base_url() -> str:
    return settings.SITE_URL.rstrip("/") + "/"


class StaticOnlyFetcher(weasyprint.URLFetcher):
    """Serves the app's static files from disk and decodes `data:` URLs; refuses every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["data"], allow_redirects=False, fail_on_errors=False)

    def fetch(self, url: str, headers: object = None) -> weasyprint.urls.URLFetcherResponse:
        if urlsplit(url).scheme.lower() == "data":
            content_type, body = data_url(url)
        else:
            path = static_file(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            body = path.read_bytes()
        return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": content_type})

    def open(self, url: object, data: object = None, timeout: object = None) -> object:
        raise Refused("A report opens no URL of its own.")


def data_url(url: str) -> tuple[str, bytes]:
    """A `data:` URL's media type and bytes (RFC 2397), decoded here: nothing is opened to read it."""
    header, comma, payload = url.partition(":")[2].partition(",")
    if not comma:
        raise Refused("A data: URL without data.")
    encoded = header.lower().endswith(";base64")
    media_type = header.removesuffix(header[-7:] if encoded else "").split(";")[0].strip()
    raw = unquote_to_bytes(payload)
    try:
        body = base64.b64decode(raw, validate=False) if encoded else raw
    except binascii.Error as error:
        raise Refused("A data: URL whose base64 does not decode.") from error
    return media_type or "text/plain", body


def static_file(url: str) -> Path:
    """The file on disk behind one of the app's static URLs; Refused for any other URL, or for a name that
    climbs out of the static folders."""
    parts, site = urlsplit(url), urlsplit(base_url())
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc) or not parts.path.startswith(prefix):
        raise Refused(f"Only the app's static files are fetched, not {url[:200]}")
    name = unquote(parts.path.removeprefix(prefix))
    clean = posixpath.normpath(name)
    if not name or clean != name or clean.startswith(("../", "/")) or "\\" in name or "\x00" in name:
        raise Refused(f"Not a static file's name: {name[:200]}")
    found = finders.find(clean)
    if isinstance(found, str) and Path(found).is_file():
        return Path(found)
    root = Path(settings.STATIC_ROOT).resolve()
    collected = (root / clean).resolve()
    if collected.is_relative_to(root) and collected.is_file():
        return collected
    raise Refused(f"No static file {name[:200]}")

"""Every file the app hands out (reports, exports, backups, spreadsheets) goes out the same way."""

from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header


def attachment[R: HttpResponseBase](response: R, filename: str) -> R:
    """Mark `response` as a download named `filename`: the name quoted and, when it is not plain ASCII, encoded
    (RFC 6266), so nothing a member typed can break the header; kept by no shared cache; never sniffed into
    something the browser would run."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

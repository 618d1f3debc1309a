"""Reading the lists' and dashboards' query strings: what a filter does not know, it ignores, never an error."""


def query_int(value: object, *, digits: int = 18) -> int | None:
    """A whole number from the query string, or None: plain 0-9 digits only (str.isdigit() also accepts "²",
    which int() refuses), at most `digits` of them so the number fits its column (18 for an id, a bigint; 9 for
    a threat's or risk's number, an integer) rather than failing in the database."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def query_text(value: object, limit: int) -> str:
    """A search term or slug from the query string, cut to `limit`; PostgreSQL refuses NUL in text, so it goes."""
    return str(value).replace("\x00", "")[:limit]

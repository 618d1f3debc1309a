"""Text that must stay on one line: names that reach an e-mail's subject, and that subject itself.

A line break in a header ends it, and what follows would be read as headers of its own ("Acme\\r\\nBcc: ..."), so
Python's e-mail package refuses such a header outright (ValueError) and the e-mail is never sent. Names are
refused with such characters where they are typed (validate_one_line); what is put in a header is made one line
again (one_line) whatever it holds, since it also carries names written before that check, a person's display name
and a project's.
"""

import unicodedata

from django.core.exceptions import ValidationError

# Control characters (C0, DEL, C1: \r, \n, \t, \x00, \x85 ...) and the Unicode line and paragraph separators.
_NOT_ON_ONE_LINE = {"Cc", "Zl", "Zp"}

ONE_LINE_MESSAGE = "Write the name on one line, without line breaks, tabs or other control characters."


def breaks_the_line(character: str) -> bool:
    return unicodedata.category(character) in _NOT_ON_ONE_LINE


def one_line(text: str) -> str:
    """The text with each control character or line separator as a space and runs of spaces as one."""
    return " ".join("".join(" " if breaks_the_line(c) else c for c in text).split())


def validate_one_line(value: object) -> None:
    """A validator for names (organisations'): refuses line breaks, tabs and other control characters."""
    if isinstance(value, str) and any(breaks_the_line(c) for c in value):
        raise ValidationError(ONE_LINE_MESSAGE, code="one_line")

"""What a report module hands the printer (reports.documents): a template, its context and the data's time;
and the progress callback it reports through. A module of its own, so the report modules and the dispatcher
that imports them share these without importing each other."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

type Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Printable:
    template: str  # a template under templates/reports/print/
    context: dict[str, Any]
    as_of: datetime.datetime  # when the figures were read (or computed, for stored results)

"""The formats of other tools that models come in and go out as, and how a file's format is told.

Each format has a module exposing ``FORMAT`` (its key), ``LABEL`` (its name for people), ``recognises(data)``
and ``read(data) -> ModelDocument`` over the file's parsed JSON or YAML, and, when we export to it,
``write(document) -> dict``. The format of an upload is told from its content: the one module that recognises
it reads it; a format named explicitly must recognise it too, so a wrong choice is said rather than misread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.text import slugify

from projects.interop import otm, threagile, threat_composer, threat_dragon
from projects.interop.document import InvalidModelFile, ModelDocument
from projects.interop.loading import load_any

AUTO = "auto"


class Reader(Protocol):
    FORMAT: str
    LABEL: str

    def recognises(self, data: Any) -> bool: ...

    def read(self, data: Any) -> ModelDocument: ...


class Writer(Reader, Protocol):
    def write(self, document: ModelDocument) -> dict[str, Any]: ...


READERS: dict[str, Reader] = {
    module.FORMAT: module for module in (otm, threat_dragon, threat_composer, threagile)
}
WRITERS: dict[str, Writer] = {module.FORMAT: module for module in (otm, threat_dragon, threat_composer)}


@dataclass(frozen=True)
class ExportKind:
    suffix: str
    content_type: str
    label: str  # as a menu offers it


EXPORTS: dict[str, ExportKind] = {
    "otm": ExportKind(".otm.json", "application/json", "Open Threat Model (OTM JSON)"),
    "threat-dragon": ExportKind(".threat-dragon.json", "application/json", "Threat Dragon"),
    "threat-composer": ExportKind(".tc.json", "application/json", "threat-composer"),
}


def read_choices() -> list[tuple[str, str]]:
    """The formats an upload may name, "auto" (tell it from the content) first."""
    return [(AUTO, "Tell from the file"), *((key, module.LABEL) for key, module in READERS.items())]


def export_choices() -> list[tuple[str, str]]:
    return [(key, EXPORTS[key].label) for key in WRITERS]


def _listing(labels: list[str], word: str = "or") -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {word} {labels[-1]}"


def parse(data: bytes, *, format: str = AUTO) -> ModelDocument:
    """The model in an uploaded file, or InvalidModelFile saying why not (and where, when a reader knows)."""
    if format != AUTO and format not in READERS:
        raise InvalidModelFile(f"“{format}” is not a format we read; choose {_listing(list(READERS))}.")
    value = load_any(data)
    recognised = [module for module in READERS.values() if module.recognises(value)]
    if format != AUTO:
        chosen = READERS[format]
        if chosen not in recognised:
            others = [module.LABEL for module in recognised]
            looks = f"; it looks like {_listing(others)}" if others else ""
            raise InvalidModelFile(
                f"This file is not {chosen.LABEL}{looks}. Choose its format, or let it be told from the file."
            )
        return chosen.read(value)
    if not recognised:
        labels = _listing([module.LABEL for module in READERS.values()])
        raise InvalidModelFile(
            f"This file is not in a format we read ({labels}): none of their parts were found in it."
        )
    if len(recognised) > 1:
        raise InvalidModelFile(
            f"This file could be {_listing([module.LABEL for module in recognised])}; choose its format."
        )
    return recognised[0].read(value)


@dataclass(frozen=True)
class ExportedFile:
    name: str
    content_type: str
    data: bytes


def export(document: ModelDocument, format: str) -> ExportedFile:
    """The document in another tool's format, as a file to download: UTF-8 JSON, named after the project."""
    if format not in WRITERS:
        raise ValueError(f"“{format}” is not a format we export; choose {_listing(list(WRITERS))}.")
    kind = EXPORTS[format]
    text = json.dumps(WRITERS[format].write(document), indent=2, ensure_ascii=False) + "\n"
    return ExportedFile(f"{slugify(document.name) or 'model'}{kind.suffix}", kind.content_type, text.encode())

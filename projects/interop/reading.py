"""Taking values out of an untrusted model file: what every format reader needs besides its own mapping.

A file's values arrive as whatever JSON or YAML made of them. These helpers take one value each, check its type
and refuse a wrong one with ``InvalidModelFile`` naming the place (``components[2].name``); fit text to the
length of the field it goes to, keeping the whole of it in the notes; give parts unique names where the project
needs them; and refuse a file with more parts than an import may hold.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models

from .document import MAX_PARTS, InvalidModelFile, ModelDocument


def at(where: str, key: str | int) -> str:
    """The place of a key or an index under ``where``: ``threats[3]``, ``threats[3].name``, ``assets["Db"]``."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    if key.replace("_", "").replace("-", "").isalnum():
        return f"{where}.{key}" if where else key
    return f'{where}["{key}"]'


def kind_of(value: Any) -> str:
    """How a message names the type of a value it did not expect."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def mapping(value: Any, where: str, *, optional: bool = False) -> dict[str, Any]:
    """An object (a mapping of keys to values); ``optional`` lets a missing or empty one be ``{}``."""
    if optional and value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidModelFile(f"Expected an object here, found {kind_of(value)}.", where)
    return {str(key): item for key, item in value.items()}


def sequence(value: Any, where: str) -> list[Any]:
    """A list; a missing or empty (null) one is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidModelFile(f"Expected a list here, found {kind_of(value)}.", where)
    return value


def text(value: Any, where: str, *, required: str = "") -> str:
    """A scalar as stripped text. ``required`` names what must be there ("a name") when it is missing or blank.

    Numbers and dates are text too (YAML reads ``id: 12`` as a number and ``date: 2020-07-01`` as a date).
    """
    if value is None:
        result = ""
    elif isinstance(value, bool) or not isinstance(value, str | int | float | datetime.date):
        raise InvalidModelFile(f"Expected text here, found {kind_of(value)}.", where)
    elif isinstance(value, datetime.date):
        result = value.isoformat()
    else:
        result = str(value).strip()
    if required and not result:
        raise InvalidModelFile(f"{required[0].upper()}{required[1:]} is required here.", where)
    return result


def texts(value: Any, where: str) -> list[str]:
    """A list of scalars as text, blanks left out."""
    items = (text(item, at(where, index)) for index, item in enumerate(sequence(value, where)))
    return [item for item in items if item]


def number(value: Any, where: str, *, low: float, high: float) -> float | None:
    """A number from ``low`` to ``high``, or None when missing; text holding a number is read as one."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InvalidModelFile(f"Expected a number here, found {value!r}.", where) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidModelFile(f"Expected a number here, found {kind_of(value)}.", where)
    if not low <= value <= high:
        raise InvalidModelFile(f"Expected a number from {low:g} to {high:g}, found {value:g}.", where)
    return float(value)


def flag(value: Any, where: str) -> bool:
    """A true/false value; missing is false."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidModelFile(f"Expected true or false here, found {kind_of(value)}.", where)
    return value


def limit(model: type[models.Model], name: str) -> int:
    """The longest text a model's field holds, read from the model so the two never disagree."""
    field = model._meta.get_field(name)
    if isinstance(field, ArrayField):  # the length of each item
        field = field.base_field
    if not isinstance(field, models.Field) or not field.max_length:
        raise TypeError(f"{model.__name__}.{name} holds no text of a limited length.")
    return int(field.max_length)


def items_limit(model: type[models.Model], name: str) -> int:
    """How many items a model's array field holds."""
    field = model._meta.get_field(name)
    if not isinstance(field, ArrayField) or not field.size:
        raise TypeError(f"{model.__name__}.{name} is not an array of a limited size.")
    return int(field.size)


def fit(document: ModelDocument, value: str, length: int, where: str, label: str) -> str:
    """The text cut to ``length`` characters at a word, with a warning and the whole of it in the notes."""
    if len(value) <= length:
        return value
    cut = value[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut[: cut.rindex(" ")]
    document.warn(
        where,
        f"{label} is {len(value):,} characters long; the project keeps the first {len(cut):,} "
        "and the whole text in its notes.",
    )
    document.notes.append(f"{label} ({where}), in full: {value}")
    return cut.rstrip() + "…"


class Names:
    """Names the project holds once, compared without case: "X", then "X (2)", "X (3)"… with a warning.

    Each name's last number is remembered, so a file repeating one name thousands of times reads in linear
    time. `limit` is the field's length: a numbered name is cut to fit it."""

    def __init__(self, document: ModelDocument, what: str, limit: int = 200) -> None:
        self.document, self.what, self.limit = document, what, limit
        self.taken: set[str] = set()
        self.counters: dict[str, int] = {}

    def unique(self, name: str, where: str) -> str:
        key = name.casefold()
        if key not in self.taken:
            self.taken.add(key)
            return name
        counter, candidate = self.counters.get(key, 1), name
        while candidate.casefold() in self.taken:
            counter += 1
            suffix = f" ({counter})"
            candidate = name[: self.limit - len(suffix)] + suffix
        self.counters[key] = counter
        self.taken.add(candidate.casefold())
        self.document.warn(
            where, f"Another {self.what} is also named “{name}”; this one is imported as “{candidate}”."
        )
        return candidate


def check_size(parts: int) -> None:
    """Refuse a file with more parts than one import may hold, before anything is built from it."""
    if parts > MAX_PARTS:
        raise InvalidModelFile(f"The file holds {parts:,} parts; one import takes at most {MAX_PARTS:,}.")


class Dropped:
    """What the parts of each section hold that the project does not keep (or keeps only in its notes), with
    examples of each: told as one warning a section when the reading ends, not one a part."""

    def __init__(self, document: ModelDocument) -> None:
        self.document = document
        self.found: dict[tuple[str, str, bool], dict[str, None]] = {}  # examples as an ordered set

    def note(self, section: str, what: str, example: str, *, noted: bool = False) -> None:
        examples = self.found.setdefault((section, what, noted), {})
        if example:
            examples[example] = None

    def report(self) -> None:
        lists: dict[tuple[str, bool], list[str]] = {}
        for (section, what, noted), examples in self.found.items():
            first = list(examples)[:5]
            shown = ", ".join(first) + (f" and {len(examples) - 5} more" if len(examples) > 5 else "")
            lists.setdefault((section, noted), []).append(f"{what} ({shown})" if shown else what)
        for (section, noted), whats in lists.items():
            heading = "Kept only in the notes" if noted else "Not kept"
            self.document.warn(section, f"{heading}: {'; '.join(whats)}.")

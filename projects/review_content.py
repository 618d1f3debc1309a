"""A project's model as reviews see it: a snapshot of its content, the digest that signs it, and the changes
between two snapshots, part by part and field by field.

The content is what the model says about the system and its risks: what an export writes
(projects.interop.selectors.project_document: the project's name and description, zones, assets, components,
flows, threats with their statements, STRIDE, status and likelihood, controls and their links to threats), plus
each threat's number (the name people use for it) and its frequency range. Who owns what, when it is due and
what it costs are the plan for the work, not the model: changing them needs no new approval. Neither does the
project's own review status, which the review itself sets.

A snapshot names parts by refs made of their kind and id ("component-12"), so a diff follows a renamed part.
The digest is taken over the content with every ref replaced by the name of the part it points at, so it does
not depend on ids: a model restored from a backup, with new ids, has the digest it had. For the same reason a
diff pairs the parts it cannot match by ref (a restored model's) by their names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from projects.interop.selectors import project_document
from projects.models import (
    AssetKind,
    ComponentKind,
    ControlKind,
    ControlStatus,
    DataClassification,
    Goal,
    LikelihoodLevel,
    Project,
    Rating,
    Stride,
    ThreatStatus,
    TrustLevel,
    threat_statement,
)

SNAPSHOT_VERSION = 1

type Snapshot = dict[str, Any]
type Part = dict[str, Any]

# The kinds of part, in the order a diff lists them, with the singular noun it names each by.
KINDS: dict[str, str] = {
    "project": "project",
    "zones": "trust zone",
    "assets": "asset",
    "components": "component",
    "flows": "data flow",
    "threats": "threat",
    "controls": "control",
}


def model_snapshot(project: Project) -> Snapshot:
    """The project's model content as plain JSON values, in a fixed number of queries whatever its size."""
    document = project_document(project)
    extra = {
        pk: {"number": number, "frequency_min": low, "frequency_mode": mode, "frequency_max": high}
        for pk, number, low, mode, high in project.threats.values_list(
            "pk", "number", "frequency_min", "frequency_mode", "frequency_max"
        )
    }

    def parts(items: Iterable[Any], drop: tuple[str, ...] = ()) -> dict[str, Part]:
        found = {}
        for item in items:
            values = asdict(item)
            ref = values.pop("ref")
            for name in drop:
                values.pop(name)
            found[ref] = values
        return found

    threats = parts(document.threats)
    for ref, values in threats.items():
        values |= extra[int(ref.removeprefix("threat-"))]
    controls = parts(document.controls)
    for control in controls.values():
        control["threats"] = {}
    for link in document.links:
        controls[link.control]["threats"][link.threat] = link.effectiveness
    snapshot: Snapshot = {
        "version": SNAPSHOT_VERSION,
        "project": {"project": {"name": document.name, "description": document.description}},
        "zones": parts(document.zones),
        "assets": parts(document.assets),
        "components": parts(document.components),
        "flows": parts(document.flows),
        "threats": threats,
        "controls": controls,
    }
    for kind in ("components", "flows", "threats"):
        for values in snapshot[kind].values():
            for name in ("assets", "targets"):
                if name in values:
                    values[name] = sorted(values[name])
    return snapshot


# Resolving refs into names ----------------------------------------------------------------------------------


def labels_of(snapshot: Snapshot) -> dict[str, str]:
    """Every part's ref → the name people know it by (a flow by its name and ends, a threat by its number)."""
    labels: dict[str, str] = {"project": "Project"}
    for kind in ("zones", "assets", "components"):
        labels |= {ref: part["name"] for ref, part in snapshot.get(kind, {}).items()}
    for ref, flow in snapshot.get("flows", {}).items():
        ends = f"{labels.get(flow['source'], '?')} → {labels.get(flow['destination'], '?')}"
        labels[ref] = f"{flow['name']} ({ends})"
    labels |= {ref: f"T-{threat['number']}" for ref, threat in snapshot.get("threats", {}).items()}
    labels |= {ref: control["title"] for ref, control in snapshot.get("controls", {}).items()}
    return labels


# The fields of each kind that hold refs: one ref, a list of them, or (a control's threats) refs to a number.
_ONE_REF = {"parent", "zone", "source", "destination"}
_REF_LISTS = {"assets", "targets"}


def _resolved(part: Part, labels: Mapping[str, str]) -> Part:
    """The part's fields with each ref replaced by the name of the part it points at."""
    resolved: Part = {}
    for name, value in part.items():
        if name in _ONE_REF:
            resolved[name] = labels.get(value, "") if value else ""
        elif name in _REF_LISTS:
            resolved[name] = sorted(labels.get(ref, ref) for ref in value)
        elif name == "threats":
            resolved[name] = {labels.get(ref, ref): effectiveness for ref, effectiveness in value.items()}
        else:
            resolved[name] = value
    return resolved


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(snapshot: Snapshot) -> str:
    """sha256 of the snapshot's content with its refs replaced by names and each kind's parts in a fixed order:
    the same for the same content, whatever the parts' ids, and different after any change to it."""
    labels = labels_of(snapshot)
    content: dict[str, Any] = {"version": snapshot.get("version")}
    for kind in KINDS:
        content[kind] = sorted(
            _canonical({"label": labels[ref], **_resolved(part, labels)})
            for ref, part in snapshot.get(kind, {}).items()
        )
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


# The diff ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    name: str  # as the forms name the field: "Threat source"
    before: str
    after: str


@dataclass(frozen=True)
class PartChange:
    kind: str  # a key of KINDS
    change: str  # "added", "removed" or "edited"
    label: str  # the part's name (now; before, for a removed part)
    fields: tuple[FieldChange, ...]
    # The part as it is now, for a link to it: its id (a threat: its number); None for a removed part.
    key: int | None = None

    @property
    def noun(self) -> str:
        return KINDS[self.kind]


@dataclass
class ModelDiff:
    changes: list[PartChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def count(self, change: str) -> int:
        return sum(1 for item in self.changes if item.change == change)

    @property
    def summary(self) -> str:
        """ "2 added, 1 removed, 3 edited", leaving out what did not happen."""
        counts = [(self.count(change), change) for change in ("added", "removed", "edited")]
        return ", ".join(f"{count} {change}" for count, change in counts if count)

    @property
    def by_kind(self) -> list[tuple[str, list[PartChange]]]:
        """The changes grouped by kind of part, in the order of KINDS, leaving out kinds without any."""
        groups = [(kind, [item for item in self.changes if item.kind == kind]) for kind in KINDS]
        return [(kind, items) for kind, items in groups if items]


def _choices(choices: Iterable[tuple[Any, str]]) -> Callable[[Any], str]:
    names = {value: str(label) for value, label in choices}
    return lambda value: names.get(value, str(value))


def _listed(format_one: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda values: ", ".join(format_one(value) for value in values)


def _plain(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _linked_threats(value: Mapping[str, int]) -> str:
    return ", ".join(f"{label} ({effectiveness} %)" for label, effectiveness in sorted(value.items()))


_RATING = _choices(Rating.choices)
# Each kind's fields as a diff shows them: the name the forms give it, and how its value reads.
FIELDS: dict[str, tuple[tuple[str, str, Callable[[Any], str]], ...]] = {
    "project": (("name", "Name", _plain), ("description", "Description", _plain)),
    "zones": (
        ("name", "Name", _plain),
        ("trust_level", "Trust level", _choices(TrustLevel.choices)),
        ("parent", "Inside zone", _plain),
        ("description", "Description", _plain),
    ),
    "assets": (
        ("name", "Name", _plain),
        ("kind", "Kind", _choices(AssetKind.choices)),
        ("description", "Description", _plain),
        ("classification", "Classification", _choices(DataClassification.choices)),
        ("confidentiality", "Confidentiality", _RATING),
        ("integrity", "Integrity", _RATING),
        ("availability", "Availability", _RATING),
    ),
    "components": (
        ("name", "Name", _plain),
        ("kind", "Kind", _choices(ComponentKind.choices)),
        ("zone", "Trust zone", _plain),
        ("description", "Description", _plain),
        ("technology", "Technology", _plain),
        ("tags", "Tags", _listed(_plain)),
        ("assets", "Assets", _listed(_plain)),
    ),
    "flows": (
        ("name", "Name", _plain),
        ("source", "From", _plain),
        ("destination", "To", _plain),
        ("protocol", "Protocol", _plain),
        ("data_carried", "Data carried", _plain),
        ("is_encrypted", "Encrypted", _plain),
        ("is_authenticated", "Authenticated", _plain),
        ("assets", "Assets", _listed(_plain)),
    ),
    "threats": (
        ("threat_source", "Threat source", _plain),
        ("prerequisites", "Prerequisites", _plain),
        ("threat_action", "Threat action", _plain),
        ("threat_impact", "Threat impact", _plain),
        ("impacted_goals", "Impacted goals", _listed(_choices(Goal.choices))),
        ("assets", "Impacted assets", _listed(_plain)),
        ("stride", "STRIDE", _listed(_choices(Stride.choices))),
        ("targets", "Targets", _listed(_plain)),
        ("status", "Status", _choices(ThreatStatus.choices)),
        ("status_reason", "Status reason", _plain),
        ("likelihood", "Likelihood", _choices(LikelihoodLevel.choices)),
        ("frequency_min", "Fewest events a year", _plain),
        ("frequency_mode", "Most likely events a year", _plain),
        ("frequency_max", "Most events a year", _plain),
    ),
    "controls": (
        ("title", "Title", _plain),
        ("description", "Description", _plain),
        ("kind", "Kind", _choices(ControlKind.choices)),
        ("status", "Status", _choices(ControlStatus.choices)),
        ("ticket_url", "Ticket", _plain),
        ("threats", "Linked threats (effectiveness)", _linked_threats),
    ),
}


def _shown(kind: str, part: Part) -> dict[str, tuple[str, str]]:
    """A resolved part's fields as the diff shows them: field key → (its name, its value as text)."""
    return {key: (name, show(part.get(key))) for key, name, show in FIELDS[kind] if key in part}


def _same_refs(before: Part, after: Part, now_ref: Callable[[str], str]) -> set[str]:
    """The reference fields whose parts are the same ones before and after (`now_ref` takes a ref of before to
    the ref its part has after), though their names may have changed: a renamed zone is not a move to another."""
    same = set()
    for name, value in after.items():
        if name not in before:
            continue
        old = before[name]
        if name in _ONE_REF:
            same_part = (now_ref(old) if old else "") == value
        elif name in _REF_LISTS:
            same_part = sorted(now_ref(ref) for ref in old) == sorted(value)
        elif name == "threats":
            same_part = {now_ref(ref): number for ref, number in old.items()} == value
        else:
            continue
        if same_part:
            same.add(name)
    return same


def _edited(
    kind: str, before: Part, after: Part, labels: tuple[Mapping[str, str], Mapping[str, str]], same: set[str]
) -> tuple[FieldChange, ...]:
    old, new = _shown(kind, _resolved(before, labels[0])), _shown(kind, _resolved(after, labels[1]))
    return tuple(
        FieldChange(name, old.get(key, (name, ""))[1], value)
        for key, (name, value) in new.items()
        if key not in same and old.get(key, (name, ""))[1] != value
    )


def _key(kind: str, ref: str, part: Part) -> int | None:
    if kind == "project":
        return None
    if kind == "threats":
        return int(part["number"])
    return int(ref.rsplit("-", 1)[1])


def _title(kind: str, part: Part, labels: Mapping[str, str], ref: str) -> str:
    if kind == "threats":
        statement = threat_statement(
            threat_source=part["threat_source"],
            prerequisites=part["prerequisites"],
            threat_action=part["threat_action"],
            threat_impact=part["threat_impact"],
        )
        return f"{labels[ref]}: {statement}"
    return labels[ref]


def _pairs(
    before: Snapshot, after: Snapshot
) -> dict[str, tuple[list[tuple[str, str]], list[str], list[str]]]:
    """For each kind: the parts of both snapshots that are the same part (by ref; what is left, by name, as the
    ids of a restored model are new), the parts only `before` has and those only `after` has."""
    old_labels, new_labels = labels_of(before), labels_of(after)
    found = {}
    for kind in KINDS:
        old_parts, new_parts = before.get(kind, {}), after.get(kind, {})
        pairs = [(ref, ref) for ref in new_parts if ref in old_parts]
        by_label: dict[str, list[str]] = {}
        for ref in old_parts:
            if ref not in new_parts:
                by_label.setdefault(old_labels[ref], []).append(ref)
        added = []
        for ref in new_parts:
            if ref in old_parts:
                continue
            twins = by_label.get(new_labels[ref])
            if twins:
                pairs.append((twins.pop(0), ref))
            else:
                added.append(ref)
        paired = {old for old, _ in pairs}
        removed = [ref for ref in old_parts if ref not in paired]
        found[kind] = (pairs, removed, added)
    return found


def model_diff(before: Snapshot, after: Snapshot) -> ModelDiff:
    """What changed from `before` to `after`: the parts added, removed and edited (with the fields that changed,
    each as it read before and reads now), kind by kind in the order of KINDS."""
    labels = (labels_of(before), labels_of(after))
    pairs = _pairs(before, after)
    now_refs = {old: new for paired, _, _ in pairs.values() for old, new in paired}

    def now_ref(ref: str) -> str:
        return now_refs.get(ref, f"gone:{ref}")

    diff = ModelDiff()
    for kind, (paired, removed, added) in pairs.items():
        old_parts, new_parts = before.get(kind, {}), after.get(kind, {})
        for old_ref, new_ref in paired:
            old, new = old_parts[old_ref], new_parts[new_ref]
            changed = _edited(kind, old, new, labels, _same_refs(old, new, now_ref))
            if changed:
                title = _title(kind, new, labels[1], new_ref)
                diff.changes.append(PartChange(kind, "edited", title, changed, _key(kind, new_ref, new)))
        for ref in added:
            part = new_parts[ref]
            shown = _shown(kind, _resolved(part, labels[1])).values()
            fields = tuple(FieldChange(name, "", value) for name, value in shown if value)
            diff.changes.append(
                PartChange(kind, "added", _title(kind, part, labels[1], ref), fields, _key(kind, ref, part))
            )
        for ref in removed:
            part = old_parts[ref]
            shown = _shown(kind, _resolved(part, labels[0])).values()
            fields = tuple(FieldChange(name, value, "") for name, value in shown if value)
            diff.changes.append(PartChange(kind, "removed", _title(kind, part, labels[0], ref), fields))
    return diff

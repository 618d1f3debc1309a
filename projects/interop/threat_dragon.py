"""OWASP Threat Dragon models in and out: every 2.x file, and the v1 files (no ``version`` key) before them.

Reading. The shape is told per diagram by its keys, never by a version string: ``cells`` on the diagram is 2.x
(a cell's properties under ``data``, its kind in ``data.type`` or its ``shape``); ``diagramJson.cells`` is v1
(the properties on the cell itself, its kind in ``type``). Each source field is mapped once:

- Elements: tm.Process → process, tm.Store → data store, tm.Actor → actor, with name (whitespace collapsed)
  and description. The true flags become tags: web-application, card-payment, goods-or-services (processes);
  log, stores-credentials, encrypted, signed, stores-inventory (stores); provides-authentication (actors); a
  process's privilege level becomes the tag "privilege level: …". An element out of scope keeps its place,
  tagged "out-of-scope", its reason added to its description as "Out of scope: …", with a warning.
- Trust boundaries: a boundary box (tm.BoundaryBox) is a trust zone at medium trust (Threat Dragon has no trust
  levels). An element belongs to the innermost box that holds its centre, a box to the innermost box that holds
  it; a box without position and size holds nothing (warned). A boundary curve (tm.Boundary, also every v1
  boundary) is a line across the picture, not an area: warned and dropped.
- Data flows (tm.Flow) join the cells their ends name (``source.cell`` in 2.x, ``source.id`` in v1): name,
  protocol, isEncrypted. isPublicNetwork, isBidirectional, a description and out-of-scope have no field of ours:
  warned and kept in the notes. An end left loose on the canvas cannot make a flow of ours, so such a flow is
  dropped with a warning and its threats stay on the element its other end touches. An end naming a cell that is
  not on the diagram, or one that is not an element, is refused.
- Threats (``data.threats`` in 2.x, ``threats`` on the cell in v1), on the element or flow they sit on:
  - Threat Dragon writes a title and a description, where we write a statement. Its threat source is "threat
    actor" (Threat Dragon names none), its action the title, its impact the description (what the threat does
    and leads to, in the author's words; whitespace collapsed). A threat with neither title nor description is
    refused.
  - type: a STRIDE word → its letter; a CIA type (models CIA, CIADIE) → the impacted goal; the types of other
    models (LINDDUN, DIE, PLOT4ai, ...) have no home: warned and kept in the notes.
  - status: Open → identified; Mitigated, Eliminated → mitigated; NotApplicable (NA) → rejected, "marked not
    applicable in Threat Dragon"; Avoided → rejected, "marked avoided in Threat Dragon"; Accepted → accepted;
    Transferred → accepted, warned. Anything else → identified, warned.
  - severity → likelihood: Critical → very high, High → high, Medium → moderate, Low → low, TBD or none → none.
  - score (free text) → warned and kept in the notes. A threat on an out-of-scope element is kept as it is, with
    a warning.
  - The mitigation text becomes a control linked to the threat (effectiveness 50 %): implemented when the threat
    is mitigated, else proposed; its title is the text's first line, its description the rest. Threats with the
    same mitigation text and the same resulting control status share one control.

Writing gives one 2.x diagram that validates against Threat Dragon's schema, laid out on a grid: each zone a
trust-boundary box holding its components (a nested zone's box inside its parent's), the components of no zone
beside them; external services are drawn as actors. A threat sits on the cell of each of its targets (the same
id on each, read back as one threat); threats with no target sit on a text block that lists them. A threat's
title is its action and its description the whole statement. What Threat Dragon has no field for travels under
the key ``threatmodel`` (its schema allows extra keys): the statement's parts, every STRIDE letter, the exact
status and likelihood, the controls with kind, status and effectiveness (and the controls linked to no threat),
trust levels, technology, tags beyond the flags, data carried, authentication and assets. Reading trusts a
threat's ``threatmodel`` only while its Threat Dragon fields still read exactly as they were written; a threat
edited in Threat Dragon since is read from those fields instead, with a warning.

Limits, besides the size of the file: a diagram holds at most 250 boundary boxes (each element is compared with
each box), and names the project holds once (elements, zones, assets) are numbered "X (2)", "X (3)"… when they
repeat.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from projects.models import (
    AssetKind,
    ComponentKind,
    ControlKind,
    ControlStatus,
    DataClassification,
    Goal,
    LikelihoodLevel,
    Rating,
    Stride,
    ThreatStatus,
    TrustLevel,
    threat_statement,
)

from .document import (
    Asset,
    Component,
    Control,
    Flow,
    InvalidModelFile,
    Link,
    ModelDocument,
    Threat,
    Zone,
)
from .reading import Names, at, check_size, fit, kind_of, mapping, sequence, text

FORMAT = "threat-dragon"
LABEL = "OWASP Threat Dragon"
# The Threat Dragon version the writer's files take the shape of.
VERSION = "2.3.0"
# Where the writer keeps, on Threat Dragon's own objects, what Threat Dragon has no field for.
EXTENSION = "threatmodel"
THREAT_SOURCE = "threat actor"
DEFAULT_EFFECTIVENESS = 50
OUT_OF_SCOPE_TAG = "out-of-scope"
OUT_OF_SCOPE_LINE = "Out of scope: "
PRIVILEGE_TAG = "privilege level: "
UNPLACED_THREATS = "unplaced-threats"

# Limits of the fields the values go to (projects.models).
NAME_LENGTH = 200
PROJECT_DESCRIPTION_LENGTH = 10_000
ZONE_DESCRIPTION_LENGTH = 2_000
COMPONENT_DESCRIPTION_LENGTH = 5_000
PROTOCOL_LENGTH = 100
DATA_CARRIED_LENGTH = 500
SOURCE_LENGTH = 200
STATEMENT_PART_LENGTH = 500
REASON_LENGTH = 2_000
TECHNOLOGY_LENGTH = 200
TAG_LENGTH = 50
MAX_TAGS = 20
# Elements are placed in boxes by comparing each with every box: more boxes than this would take too long.
MAX_BOXES = 250

PROCESS, STORE, ACTOR, FLOW, BOX, CURVE, TEXT = (
    "tm.Process",
    "tm.Store",
    "tm.Actor",
    "tm.Flow",
    "tm.BoundaryBox",
    "tm.Boundary",
    "tm.Text",
)
_KIND_OF_TYPE = {PROCESS: ComponentKind.PROCESS, STORE: ComponentKind.DATA_STORE, ACTOR: ComponentKind.ACTOR}
_TYPE_OF_SHAPE = {
    "process": PROCESS,
    "store": STORE,
    "actor": ACTOR,
    "flow": FLOW,
    "trust-boundary-box": BOX,
    "trust-boundary-curve": CURVE,
    "trust-broundary-curve": CURVE,  # the spelling of early 2.x files
    "legacy-trust-boundary": CURVE,
    "td-text-block": TEXT,
}
_SHAPE_OF_KIND = {
    ComponentKind.PROCESS: ("process", PROCESS, 100, 100),
    ComponentKind.DATA_STORE: ("store", STORE, 160, 80),
    ComponentKind.ACTOR: ("actor", ACTOR, 160, 80),
    ComponentKind.EXTERNAL_SERVICE: ("actor", ACTOR, 160, 80),
}
# An element's true flags, as tags; which flags a kind of element has.
_FLAG_TAGS = {
    PROCESS: {
        "isWebApplication": "web-application",
        "handlesCardPayment": "card-payment",
        "handlesGoodsOrServices": "goods-or-services",
    },
    STORE: {
        "isALog": "log",
        "storesCredentials": "stores-credentials",
        "isEncrypted": "encrypted",
        "isSigned": "signed",
        "storesInventory": "stores-inventory",
    },
    ACTOR: {"providesAuthentication": "provides-authentication"},
}

_STRIDE_OF_WORD = {str(letter.label).casefold(): letter.value for letter in Stride}
_WORD_OF_STRIDE = {letter.value: str(letter.label) for letter in Stride}
_CIA_GOALS = {
    "confidentiality": Goal.CONFIDENTIALITY,
    "integrity": Goal.INTEGRITY,
    "availability": Goal.AVAILABILITY,
}
_CIA_MODELS = {"", "cia", "ciadie"}

_NOT_APPLICABLE = "Marked not applicable in Threat Dragon."
# Threat Dragon's statuses, lower case without spaces: our status and, where it needs one, the reason.
_STATUS_IN = {
    "open": (ThreatStatus.IDENTIFIED, ""),
    "mitigated": (ThreatStatus.MITIGATED, ""),
    "eliminated": (ThreatStatus.MITIGATED, ""),
    "notapplicable": (ThreatStatus.REJECTED, _NOT_APPLICABLE),
    "na": (ThreatStatus.REJECTED, _NOT_APPLICABLE),
    "n/a": (ThreatStatus.REJECTED, _NOT_APPLICABLE),
    "avoided": (ThreatStatus.REJECTED, "Marked avoided in Threat Dragon: the risk is avoided."),
    "accepted": (ThreatStatus.ACCEPTED, ""),
    "transferred": (ThreatStatus.ACCEPTED, ""),
}
_STATUS_OUT: dict[str, str] = {
    ThreatStatus.IDENTIFIED: "Open",
    ThreatStatus.IN_REVIEW: "Open",
    ThreatStatus.CONFIRMED: "Open",
    ThreatStatus.MITIGATED: "Mitigated",
    ThreatStatus.ACCEPTED: "Accepted",
    ThreatStatus.REJECTED: "NotApplicable",
}
_SEVERITY_IN: dict[str, str] = {
    "critical": LikelihoodLevel.VERY_HIGH,
    "high": LikelihoodLevel.HIGH,
    "medium": LikelihoodLevel.MODERATE,
    "low": LikelihoodLevel.LOW,
    "tbd": "",
    "": "",
}
_SEVERITY_OUT: dict[str, str] = {
    LikelihoodLevel.VERY_HIGH: "Critical",
    LikelihoodLevel.HIGH: "High",
    LikelihoodLevel.MODERATE: "Medium",
    LikelihoodLevel.LOW: "Low",
    LikelihoodLevel.VERY_LOW: "Low",
    "": "TBD",
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_NAMESPACE = uuid.UUID("8d1f3c2e-6f0b-4c84-9b7e-3a1c5e2d4f60")


def recognises(data: Any) -> bool:
    """A Threat Dragon model has a summary and a detail, or a detail holding diagrams (v1 and every 2.x)."""
    if not isinstance(data, dict) or "detail" not in data:
        return False
    detail = data["detail"]
    return "summary" in data or (isinstance(detail, dict) and "diagrams" in detail)


def read(data: Any) -> ModelDocument:
    return _Reader().read(data)


def write(document: ModelDocument) -> dict[str, Any]:
    return _Writer(document).write()


# What Threat Dragon shows of a threat, as the writer writes it; the reader compares a threat's fields with these
# to know whether its threatmodel object still describes it.


def _stride_type(stride: list[str]) -> str:
    return _WORD_OF_STRIDE[stride[0]] if stride and stride[0] in _WORD_OF_STRIDE else ""


def _statement(threat: Threat, asset_names: list[str]) -> str:
    return threat_statement(
        threat_source=threat.threat_source,
        prerequisites=threat.prerequisites,
        threat_action=threat.threat_action,
        threat_impact=threat.threat_impact,
        impacted_goals=[
            str(Goal(goal).label).lower() for goal in threat.impacted_goals if goal in Goal.values
        ],
        impacted_assets=asset_names,
    )


def _mitigation_text(control: Control) -> str:
    """A control as Threat Dragon's mitigation text: its title, then its description (the reader's split)."""
    if not control.description:
        return control.title
    if control.title.endswith("…") and control.description.startswith(control.title[:-1]):
        return control.description
    return f"{control.title}\n\n{control.description}"


def _shown(threat: Threat, asset_names: list[str], controls: list[Control]) -> dict[str, str]:
    return {
        "title": threat.threat_action,
        "description": _statement(threat, asset_names),
        "type": _stride_type(threat.stride),
        "status": _STATUS_OUT.get(threat.status, "Open"),
        "severity": _SEVERITY_OUT.get(threat.likelihood, "TBD"),
        "mitigation": "\n\n".join(_mitigation_text(control) for control in controls),
    }


def _clean(value: str) -> str:
    """A name or a one-line text: whitespace, line breaks included, collapsed to single spaces."""
    return " ".join(value.split())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height

    def holds_point(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    def holds(self, other: _Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.width <= self.x + self.width
            and other.y + other.height <= self.y + self.height
        )


def _rect(cell: dict[str, Any]) -> _Rect | None:
    position, size = cell.get("position"), cell.get("size")
    if not isinstance(position, dict) or not isinstance(size, dict):
        return None
    values = (position.get("x"), position.get("y"), size.get("width"), size.get("height"))
    if not all(_is_number(value) for value in values):
        return None
    x, y, width, height = (float(value) for value in values)  # type: ignore[arg-type]
    return _Rect(x, y, width, height)


@dataclass(eq=False)
class _Cell:
    """One cell of a diagram: where it is in the file, its properties and, once read, what it became."""

    where: str
    raw: dict[str, Any]
    props: dict[str, Any]
    props_where: str
    type: str
    id: str
    rect: _Rect | None
    ref: str = ""
    name: str = ""
    out_of_scope: bool = False
    targets: list[str] = field(default_factory=list)  # what the cell's threats target


class _Reader:
    def __init__(self) -> None:
        self.document = ModelDocument(format=FORMAT, name="")
        self.names = {
            kind: Names(self.document, kind, NAME_LENGTH) for kind in ("trust boundary", "element", "asset")
        }
        self.refs: dict[str, set[str]] = {"zone": set(), "component": set(), "flow": set(), "threat": set()}
        self.assets: dict[str, Asset] = {}  # by name, case folded
        self.controls: dict[tuple[str, str], Control] = {}  # by mitigation text and status
        self.controls_by_ref: dict[str, Control] = {}
        self.threats_by_id: dict[str, tuple[dict[str, Any], Threat]] = {}
        self.parts = 0

    def read(self, data: Any) -> ModelDocument:
        document = self.document
        if not isinstance(data, dict):
            raise InvalidModelFile(
                f"A Threat Dragon model is a JSON object; this file holds {kind_of(data)}."
            )
        self._summary(data)
        detail = mapping(data.get("detail"), "detail")
        self._assets(detail)
        unlinked = (
            detail.get(EXTENSION, {}).get("controls") if isinstance(detail.get(EXTENSION), dict) else None
        )
        diagrams = detail.get("diagrams")
        if diagrams is None or diagrams == []:
            raise InvalidModelFile("The model has no diagrams.", "detail.diagrams")
        diagrams = sequence(diagrams, "detail.diagrams")
        check_size(sum(_cell_count(diagram) for diagram in diagrams))
        for index, diagram in enumerate(diagrams):
            self._diagram(diagram, at("detail.diagrams", index), several=len(diagrams) > 1)
        for index, item in enumerate(unlinked if isinstance(unlinked, list) else []):
            control = _control_of_extension(item)
            if control is None or control.ref in self.controls_by_ref:
                self.document.warn(at(f"detail.{EXTENSION}.controls", index), "Not a control; left out.")
            else:
                self._add_control(control)
        self._people(detail)
        if not document.components and not document.threats:
            raise InvalidModelFile(
                "The model has no processes, stores or actors and no threats, so there is nothing to import.",
                "detail.diagrams",
            )
        return document

    def _keep(self, where: str, warning: str, note: str) -> None:
        """Something a person wrote that has no field of ours: a warning, and the text in the notes."""
        self.document.warn(where, warning)
        self.document.notes.append(note)

    def _count(self, parts: int = 1) -> None:
        self.parts += parts
        check_size(self.parts)

    def _ref(self, kind: str, wanted: str, fallback: str) -> str:
        """The file's id for a part, unless another part of its kind took it (ids repeat across diagrams)."""
        ref = wanted or fallback
        taken = self.refs[kind]
        if ref in taken:
            ref = f"{fallback}:{wanted}" if wanted else f"{fallback}:{len(taken)}"
        taken.add(ref)
        return ref

    def _summary(self, data: dict[str, Any]) -> None:
        document = self.document
        summary = mapping(data.get("summary"), "summary", optional=True)
        title = _clean(text(summary.get("title"), "summary.title"))
        if not title:
            title = "Threat Dragon model"
            document.warn("summary.title", f"The model has no title; the project is called “{title}”.")
        document.name = fit(document, title, NAME_LENGTH, "summary.title", "The model's title")
        description = text(summary.get("description"), "summary.description")
        document.description = fit(
            document,
            description,
            PROJECT_DESCRIPTION_LENGTH,
            "summary.description",
            "The model's description",
        )
        owner = _clean(text(summary.get("owner"), "summary.owner"))
        if owner:
            self._keep(
                "summary.owner", "The model's owner has no field here; kept in the notes.", f"Owner: {owner}"
            )

    def _people(self, detail: dict[str, Any]) -> None:
        contributors = []
        for index, contributor in enumerate(sequence(detail.get("contributors"), "detail.contributors")):
            where = at("detail.contributors", index)
            if isinstance(contributor, dict):
                contributors.append(_clean(text(contributor.get("name"), at(where, "name"))))
            else:
                contributors.append(_clean(text(contributor, where)))
        if names := [name for name in contributors if name]:
            self._keep(
                "detail.contributors",
                "Contributors have no field here; their names are kept in the notes.",
                f"Contributors: {', '.join(names)}",
            )
        reviewer = _clean(text(detail.get("reviewer"), "detail.reviewer"))
        if reviewer:
            self._keep(
                "detail.reviewer",
                "The reviewer has no field here; kept in the notes.",
                f"Reviewer: {reviewer}",
            )

    def _assets(self, detail: dict[str, Any]) -> None:
        """The assets a file written here carries (Threat Dragon has none)."""
        extension = detail.get(EXTENSION)
        if not isinstance(extension, dict):
            return
        for index, item in enumerate(extension.get("assets") or []):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                self.document.warn(at(f"detail.{EXTENSION}.assets", index), "Not an asset; left out.")
                continue
            asset = self._asset(item["name"], at(f"detail.{EXTENSION}.assets", index))
            if asset is None:
                continue
            asset.kind = _choice(item.get("kind"), AssetKind.values, asset.kind)
            asset.classification = _choice(
                item.get("classification"), DataClassification.values, asset.classification
            )
            asset.description = fit(
                self.document,
                text(item.get("description"), at(f"detail.{EXTENSION}.assets", index)),
                ZONE_DESCRIPTION_LENGTH,
                at(f"detail.{EXTENSION}.assets", index),
                f"The description of the asset “{asset.name}”",
            )
            for rating in ("confidentiality", "integrity", "availability"):
                setattr(asset, rating, _choice(item.get(rating), Rating.values, getattr(asset, rating)))

    def _asset(self, name: Any, where: str) -> Asset | None:
        if not isinstance(name, str) or not _clean(name):
            return None
        name = fit(self.document, _clean(name), NAME_LENGTH, where, "An asset's name")
        if (asset := self.assets.get(name.casefold())) is None:
            self._count()
            asset = Asset(ref=name, name=self.names["asset"].unique(name, where))
            self.assets[name.casefold()] = asset
            self.document.assets.append(asset)
        return asset

    def _asset_refs(self, names: Any, where: str) -> list[str]:
        if not isinstance(names, list):
            return []
        refs = [
            asset.ref for index, name in enumerate(names) if (asset := self._asset(name, at(where, index)))
        ]
        return list(dict.fromkeys(refs))

    # Diagrams and their cells

    def _diagram(self, diagram: Any, where: str, *, several: bool) -> None:
        diagram = mapping(diagram, where)
        if "cells" in diagram:
            cells_where, cells, legacy = at(where, "cells"), diagram["cells"], False
        elif "diagramJson" in diagram:
            shape = mapping(diagram["diagramJson"], at(where, "diagramJson"))
            cells_where, cells, legacy = at(at(where, "diagramJson"), "cells"), shape.get("cells"), True
            if cells is None:
                raise InvalidModelFile("The diagram has no cells.", cells_where)
        else:
            raise InvalidModelFile("The diagram has no cells (neither cells nor diagramJson.cells).", where)
        cells = sequence(cells, cells_where)
        title = _clean(text(diagram.get("title"), at(where, "title")))
        description = text(diagram.get("description"), at(where, "description"))
        if several and (title or description):
            self._keep(
                where,
                "The diagrams are merged into one model; this one's title and description are kept in the notes.",
                f"Diagram “{title}”" + (f": {description}" if description else ""),
            )
        elif description:
            self._keep(
                at(where, "description"),
                "The diagram's description has no field here; kept in the notes.",
                f"Diagram “{title}”: {description}",
            )
        parsed = [self._cell(cell, at(cells_where, index), legacy) for index, cell in enumerate(cells)]
        known = [cell for cell in parsed if cell is not None]
        by_id = {cell.id: cell for cell in known if cell.id}
        boxes = [cell for cell in known if cell.type == BOX]
        if len(boxes) > MAX_BOXES:
            raise InvalidModelFile(
                f"The diagram has {len(boxes):,} trust boundary boxes; an import takes at most {MAX_BOXES}.",
                cells_where,
            )
        for box in boxes:
            self._zone(box)
        # Smallest first, so the first box that holds something is the innermost one.
        placed = sorted((box for box in boxes if box.rect is not None), key=lambda box: _area(box))
        self._nest(placed)
        for cell in known:
            if cell.type in _KIND_OF_TYPE:
                self._component(cell, placed)
            elif cell.type == CURVE:
                self._curve(cell)
            elif cell.type == TEXT:
                self._text(cell)
        for cell in known:
            if cell.type == FLOW:
                self._flow(cell, by_id, legacy)
        for cell in known:
            self._threats(cell)

    def _cell(self, cell: Any, where: str, legacy: bool) -> _Cell | None:
        cell = mapping(cell, where)
        if legacy:
            props, props_where = cell, where
        else:
            props_where = at(where, "data")
            props = mapping(cell.get("data"), props_where, optional=True)
        kind = props.get("type") if isinstance(props.get("type"), str) else cell.get("type")
        if not isinstance(kind, str) or kind not in {*_KIND_OF_TYPE, FLOW, BOX, CURVE, TEXT}:
            shape = cell.get("shape")
            kind = _TYPE_OF_SHAPE.get(shape, "") if isinstance(shape, str) else ""
        if not kind:
            described = cell.get("shape") or props.get("type") or cell.get("type")
            self.document.warn(
                where,
                f"A cell of a kind not known here ({described or 'no type'}) is left out."
                if not props.get("threats")
                else f"A cell of a kind not known here ({described or 'no type'}) is left out, with its threats.",
            )
            return None
        identifier = cell.get("id")
        identifier = (
            str(identifier) if isinstance(identifier, str | int) and not isinstance(identifier, bool) else ""
        )
        return _Cell(where, cell, props, props_where, kind, identifier, _rect(cell))

    def _name(self, cell: _Cell) -> str:
        name = cell.props.get("name")
        if name is None:
            name = _label(cell.raw)
        return _clean(text(name, at(cell.props_where, "name")))

    def _zone(self, cell: _Cell) -> None:
        self._count()
        name = fit(
            self.document, self._name(cell) or "Trust boundary", NAME_LENGTH, cell.where, "A boundary's name"
        )
        name = self.names["trust boundary"].unique(name, cell.where)
        cell.name, cell.ref = name, self._ref("zone", cell.id, cell.where)
        description = text(cell.props.get("description"), at(cell.props_where, "description"))
        zone = Zone(
            ref=cell.ref,
            name=name,
            trust_level=TrustLevel.MEDIUM,
            description=fit(
                self.document,
                description,
                ZONE_DESCRIPTION_LENGTH,
                cell.where,
                f"The description of “{name}”",
            ),
        )
        extension = cell.props.get(EXTENSION)
        if isinstance(extension, dict):
            zone.trust_level = _choice(extension.get("trustLevel"), TrustLevel.values, zone.trust_level)
        if cell.rect is None:
            self.document.warn(
                cell.where,
                f"The trust boundary “{name}” has no position and size, so no element is placed in it.",
            )
        self.document.zones.append(zone)

    def _nest(self, placed: list[_Cell]) -> None:
        """Each box sits in the smallest other box that holds it (of two equal boxes, the later in the file)."""
        zones = {zone.ref: zone for zone in self.document.zones}
        for index, box in enumerate(placed):
            assert box.rect is not None
            outer = next((other for other in placed[index + 1 :] if _holds(other, box.rect)), None)
            if outer is not None:
                zones[box.ref].parent = outer.ref

    def _component(self, cell: _Cell, placed: list[_Cell]) -> None:
        self._count()
        document = self.document
        kind = _KIND_OF_TYPE[cell.type]
        name = self._name(cell) or f"Unnamed {str(kind.label).lower()}"
        name = fit(document, name, NAME_LENGTH, cell.where, "An element's name")
        name = self.names["element"].unique(name, cell.where)
        cell.name, cell.ref = name, self._ref("component", cell.id, cell.where)
        cell.targets = [cell.ref]
        props, where = cell.props, cell.props_where
        description = text(props.get("description"), at(where, "description"))
        tags = [tag for flag, tag in _FLAG_TAGS[cell.type].items() if props.get(flag) is True]
        privilege = _clean(text(props.get("privilegeLevel"), at(where, "privilegeLevel")))
        if privilege and len(PRIVILEGE_TAG + privilege) <= TAG_LENGTH:
            tags.append(PRIVILEGE_TAG + privilege)
        elif privilege:
            self._keep(
                at(where, "privilegeLevel"),
                "The privilege level is too long for a tag; kept in the notes.",
                f"Privilege level of “{name}”: {privilege}",
            )
        component = Component(ref=cell.ref, name=name, kind=kind)
        if props.get("outOfScope") is True:
            cell.out_of_scope = True
            tags.append(OUT_OF_SCOPE_TAG)
            reason = text(props.get("reasonOutOfScope"), at(where, "reasonOutOfScope"))
            if reason:
                description = (
                    f"{description}\n\n{OUT_OF_SCOPE_LINE}{reason}"
                    if description
                    else OUT_OF_SCOPE_LINE + reason
                )
            document.warn(
                cell.where,
                f"“{name}” is out of scope; it is kept, tagged “{OUT_OF_SCOPE_TAG}”"
                + (", with the reason in its description." if reason else "."),
            )
        extension = props.get(EXTENSION)
        if isinstance(extension, dict):
            component.technology = fit(
                document,
                _clean(text(extension.get("technology"), at(where, EXTENSION))),
                TECHNOLOGY_LENGTH,
                cell.where,
                f"The technology of “{name}”",
            )
            if extension.get("kind") == ComponentKind.EXTERNAL_SERVICE and kind == ComponentKind.ACTOR:
                component.kind = ComponentKind.EXTERNAL_SERVICE
            extra = extension.get("tags")
            if isinstance(extra, list):
                tags.extend(_clean(tag)[:TAG_LENGTH] for tag in extra if isinstance(tag, str) and _clean(tag))
            component.assets = self._asset_refs(extension.get("assets"), at(where, EXTENSION))
        tags = list(dict.fromkeys(tags))
        if len(tags) > MAX_TAGS:
            self._keep(
                cell.where,
                f"“{name}” has {len(tags)} tags; the project keeps {MAX_TAGS} and the rest in the notes.",
                f"Tags of “{name}” beyond the first {MAX_TAGS}: {', '.join(tags[MAX_TAGS:])}",
            )
        component.tags = tags[:MAX_TAGS]
        component.description = fit(
            document, description, COMPONENT_DESCRIPTION_LENGTH, cell.where, f"The description of “{name}”"
        )
        if cell.rect is not None:
            centre_x, centre_y = cell.rect.x + cell.rect.width / 2, cell.rect.y + cell.rect.height / 2
            box = next((box for box in placed if box.rect and box.rect.holds_point(centre_x, centre_y)), None)
            component.zone = box.ref if box is not None else ""
        elif placed:
            document.warn(cell.where, f"“{name}” has no position, so it is placed in no trust zone.")
        document.components.append(component)

    def _curve(self, cell: _Cell) -> None:
        name = self._name(cell)
        message = "A trust boundary drawn as a line encloses no area, so it makes no trust zone; left out."
        if name:
            self._keep(cell.where, message, f"Trust boundary line “{name}”")
        else:
            self.document.warn(cell.where, message)

    def _text(self, cell: _Cell) -> None:
        extension = cell.props.get(EXTENSION)
        if isinstance(extension, dict) and extension.get("role") == UNPLACED_THREATS:
            return
        if name := text(cell.props.get("name") or _label(cell.raw), at(cell.props_where, "name")):
            self._keep(
                cell.where,
                "A text block on the diagram is kept in the notes.",
                f"Text on the diagram: {name}",
            )

    def _flow(self, cell: _Cell, by_id: dict[str, _Cell], legacy: bool) -> None:
        document = self.document
        props, where = cell.props, cell.props_where
        ends = [self._end(cell, side, by_id, legacy) for side in ("source", "target")]
        attached = [end for end in ends if end is not None]
        name = self._name(cell)
        label = f"The flow “{name}”" if name else "A flow"
        cell.targets = list(dict.fromkeys(end.ref for end in attached))
        if len(attached) < 2 or attached[0] is attached[1]:
            reason = (
                "has an end not connected to any element"
                if len(attached) < 2
                else "goes from an element to itself"
            )
            kept = " and ".join(f"“{end.name}”" for end in dict.fromkeys(attached))
            document.warn(
                cell.where,
                f"{label} {reason}, so it is not imported"
                + (f"; its threats are kept on {kept}." if kept and _threats_of(cell) else "."),
            )
            return
        self._count()
        source, target = attached
        cell.ref = self._ref("flow", cell.id, cell.where)
        cell.targets = [cell.ref]
        name = name or f"{source.name} to {target.name}"
        cell.name = name
        flow = Flow(
            ref=cell.ref,
            name=fit(document, name, NAME_LENGTH, cell.where, "A flow's name"),
            source=source.ref,
            destination=target.ref,
            protocol=fit(
                document,
                _clean(text(props.get("protocol"), at(where, "protocol"))),
                PROTOCOL_LENGTH,
                cell.where,
                f"The protocol of “{name}”",
            ),
            is_encrypted=props.get("isEncrypted") is True,
        )
        extension = props.get(EXTENSION)
        if isinstance(extension, dict):
            flow.is_authenticated = extension.get("isAuthenticated") is True
            flow.data_carried = fit(
                document,
                _clean(text(extension.get("dataCarried"), at(where, EXTENSION))),
                DATA_CARRIED_LENGTH,
                cell.where,
                f"The data carried by “{name}”",
            )
            flow.assets = self._asset_refs(extension.get("assets"), at(where, EXTENSION))
        elif props.get("isPublicNetwork") is True:
            self._keep(
                at(where, "isPublicNetwork"),
                f"“{name}” crosses a public network; flows have no such field (put its ends in an untrusted zone).",
                f"The flow “{name}” crosses a public network.",
            )
        if props.get("isBidirectional") is True:
            self._keep(
                at(where, "isBidirectional"),
                f"“{name}” goes both ways; it is imported one way, from “{source.name}” to “{target.name}”.",
                f"The flow “{name}” goes both ways between “{source.name}” and “{target.name}”.",
            )
        if description := text(props.get("description"), at(where, "description")):
            self._keep(
                at(where, "description"),
                "Flows have no description; kept in the notes.",
                f"The flow “{name}”: {description}",
            )
        if props.get("outOfScope") is True:
            cell.out_of_scope = True
            reason = text(props.get("reasonOutOfScope"), at(where, "reasonOutOfScope"))
            self._keep(
                cell.where,
                f"“{name}” is out of scope; flows have no such mark, so it is noted.",
                f"The flow “{name}” is out of scope" + (f": {reason}" if reason else "."),
            )
        document.flows.append(flow)

    def _end(self, cell: _Cell, side: str, by_id: dict[str, _Cell], legacy: bool) -> _Cell | None:
        """The element a flow's end is attached to, or None for an end left loose on the canvas."""
        where = at(cell.where, side)
        end = cell.raw.get(side)
        if end is None:
            raise InvalidModelFile(f"The flow has no {side}.", where)
        end = mapping(end, where)
        key = next((key for key in ("cell", "id") if key in end), None)
        if key is None:
            if "x" in end or "y" in end:
                return None
            raise InvalidModelFile(f"The flow's {side} names neither a cell nor a point.", where)
        identifier = text(end[key], at(where, key))
        other = by_id.get(identifier)
        if other is None:
            raise InvalidModelFile(
                f"The flow's {side} names the cell “{identifier}”, which is not on this diagram.",
                at(where, key),
            )
        if other.type not in _KIND_OF_TYPE:
            what = {FLOW: "a flow", BOX: "a trust boundary", CURVE: "a trust boundary", TEXT: "a text block"}
            raise InvalidModelFile(
                f"The flow's {side} is {what.get(other.type, 'not an element')}, not a process, store or actor.",
                at(where, key),
            )
        return other

    # Threats

    def _threats(self, cell: _Cell) -> None:
        items = _threats_of(cell)
        if not items:
            return
        key = "threats" if "threats" in cell.props else None
        where = at(cell.props_where, "threats") if key else at(cell.where, "threats")
        items = sequence(items, where)
        unplaced = cell.type == TEXT and isinstance(cell.props.get(EXTENSION), dict)
        if cell.type not in (*_KIND_OF_TYPE, FLOW) and not unplaced:
            self.document.warn(
                where, "Threats on something other than an element or a flow are kept without a target."
            )
        elif cell.type == FLOW and not cell.ref and not cell.targets:
            self.document.warn(where, "The threats of a flow attached to nothing are kept without a target.")
        for index, item in enumerate(items):
            self._threat(item, at(where, index), cell)

    def _threat(self, item: Any, where: str, cell: _Cell) -> None:
        item = mapping(item, where)
        identifier = item.get("id") if isinstance(item.get("id"), str) else item.get("threatId")
        identifier = identifier if isinstance(identifier, str) else ""
        if identifier in self.threats_by_id:
            raw, seen = self.threats_by_id[identifier]
            if raw == item:  # the same threat on several cells: one threat with several targets
                seen.targets.extend(ref for ref in cell.targets if ref not in seen.targets)
                return
        self._count()
        ref = self._ref("threat", identifier, where)
        threat = self._from_extension(item, where, ref) or self._from_fields(item, where, ref)
        threat.targets = list(cell.targets)
        if cell.out_of_scope:
            self.document.warn(
                where,
                f"The threat “{threat.threat_action}” is on “{cell.name}”, which is out of scope; it is kept as it is.",
            )
        if identifier:
            self.threats_by_id.setdefault(identifier, (item, threat))
        self.document.threats.append(threat)

    def _from_fields(self, item: dict[str, Any], where: str, ref: str) -> Threat:
        document = self.document
        title = _clean(text(item.get("title"), at(where, "title")))
        description = _clean(text(item.get("description"), at(where, "description")))
        if not title and not description:
            raise InvalidModelFile("The threat has neither a title nor a description.", where)
        action = fit(
            document, title or description, STATEMENT_PART_LENGTH, at(where, "title"), "A threat's title"
        )
        threat = Threat(ref=ref, threat_source=THREAT_SOURCE, threat_action=action)
        if title and description:
            threat.threat_impact = fit(
                document,
                description,
                STATEMENT_PART_LENGTH,
                at(where, "description"),
                f"The description of “{title}”",
            )
        label = title or action
        self._type(threat, item, where, label)
        self._status(threat, item, where, label)
        severity = _clean(text(item.get("severity"), at(where, "severity")))
        if severity.casefold() in _SEVERITY_IN:
            threat.likelihood = _SEVERITY_IN[severity.casefold()]
        else:
            document.warn(
                at(where, "severity"),
                f"The severity “{severity}” is not one of Threat Dragon's; no likelihood is set.",
            )
        score = _clean(text(item.get("score"), at(where, "score")))
        if score:
            self._keep(
                at(where, "score"),
                "Threats have no score here; kept in the notes.",
                f"Score of “{label}”: {score}",
            )
        mitigation = text(item.get("mitigation"), at(where, "mitigation"))
        if mitigation:
            status = (
                ControlStatus.IMPLEMENTED
                if threat.status == ThreatStatus.MITIGATED
                else ControlStatus.PROPOSED
            )
            control = self.controls.get((mitigation, status))
            if control is None:
                title_line, rest = _split_mitigation(mitigation)
                control = Control(
                    ref=self._control_ref(f"{ref}:mitigation"),
                    title=title_line,
                    description=fit(
                        document, rest, COMPONENT_DESCRIPTION_LENGTH, at(where, "mitigation"), "A mitigation"
                    ),
                    status=status,
                )
                self.controls[(mitigation, status)] = control
                self._add_control(control)
            self._count()
            document.links.append(Link(threat=ref, control=control.ref, effectiveness=DEFAULT_EFFECTIVENESS))
        return threat

    def _control_ref(self, wanted: str) -> str:
        ref, counter = wanted, 1
        while ref in self.controls_by_ref:
            counter += 1
            ref = f"{wanted}:{counter}"
        return ref

    def _add_control(self, control: Control) -> None:
        self._count()
        self.controls_by_ref[control.ref] = control
        self.document.controls.append(control)

    def _type(self, threat: Threat, item: dict[str, Any], where: str, label: str) -> None:
        kind = _clean(text(item.get("type"), at(where, "type")))
        model = _clean(text(item.get("modelType"), at(where, "modelType")))
        if not kind:
            return
        if (letter := _STRIDE_OF_WORD.get(kind.casefold())) and model.casefold() in ("", "stride"):
            threat.stride = [letter]
        elif (goal := _CIA_GOALS.get(kind.casefold())) and model.casefold() in _CIA_MODELS:
            threat.impacted_goals = [goal]
        else:
            of_model = f" ({model})" if model else ""
            self._keep(
                at(where, "type"),
                f"The threat type “{kind}”{of_model} is not a STRIDE category; kept in the notes.",
                f"Type of “{label}”: {kind}{of_model}",
            )

    def _status(self, threat: Threat, item: dict[str, Any], where: str, label: str) -> None:
        status = _clean(text(item.get("status"), at(where, "status")))
        found = _STATUS_IN.get(status.casefold().replace(" ", "").replace("_", ""))
        if found is None:
            if status:
                self.document.warn(
                    at(where, "status"), f"The status “{status}” is not one of Threat Dragon's; read as open."
                )
            return
        threat.status, threat.status_reason = found
        if status.casefold() == "transferred":
            self.document.warn(
                at(where, "status"),
                f"“{label}” is transferred; threats have no such status, so it is accepted.",
            )

    def _from_extension(self, item: dict[str, Any], where: str, ref: str) -> Threat | None:
        """The threat as this application wrote it, if its Threat Dragon fields still read as written."""
        extension = item.get(EXTENSION)
        if not isinstance(extension, dict):
            return None
        written = _threat_of_extension(extension, ref)
        if written is None:
            self.document.warn(
                at(where, EXTENSION), f"{EXTENSION} is not as this application writes it; ignored."
            )
            return None
        threat, asset_names, controls = written
        fields = {
            key: item.get(key) if isinstance(item.get(key), str) else "" for key in _shown(threat, [], [])
        }
        if _shown(threat, asset_names, [control for control, _ in controls]) != fields:
            self.document.warn(
                where,
                "This threat was changed in Threat Dragon since it was exported; it is read from its fields.",
            )
            return None
        threat.assets = self._asset_refs(asset_names, at(where, EXTENSION))
        for control, effectiveness in controls:
            if control.ref not in self.controls_by_ref:
                self._add_control(control)
            self._count()
            self.document.links.append(Link(threat=ref, control=control.ref, effectiveness=effectiveness))
        return threat


def _cell_count(diagram: Any) -> int:
    """How many cells a diagram holds, as far as its shape can tell before it is read."""
    if not isinstance(diagram, dict):
        return 0
    shape = diagram.get("diagramJson")
    cells = diagram.get("cells", shape.get("cells") if isinstance(shape, dict) else None)
    return len(cells) if isinstance(cells, list) else 0


def _threats_of(cell: _Cell) -> Any:
    """A cell's threats: in data (2.x) or on the cell (v1, and where Threat Dragon's schema puts them)."""
    if "threats" in cell.props:
        return cell.props["threats"]
    return cell.raw.get("threats")


def _label(cell: dict[str, Any]) -> str:
    """The text drawn on a cell, for files whose cells carry no name (v1)."""
    attrs = cell.get("attrs")
    if isinstance(attrs, dict):
        for key in ("text", "headerText", "label"):
            part = attrs.get(key)
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                return str(part["text"])
    labels = cell.get("labels")
    if isinstance(labels, list) and labels and isinstance(labels[0], dict):
        attrs = labels[0].get("attrs")
        if isinstance(attrs, dict):
            for key in ("labelText", "text", "label"):
                part = attrs.get(key)
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    return str(part["text"])
    return ""


def _area(cell: _Cell) -> float:
    return cell.rect.area if cell.rect is not None else 0.0


def _holds(outer: _Cell, rect: _Rect) -> bool:
    return outer.rect is not None and outer.rect.holds(rect)


def _choice(value: Any, allowed: list[Any], default: Any) -> Any:
    return value if value in allowed and not isinstance(value, bool) else default


def _split_mitigation(mitigation: str) -> tuple[str, str]:
    """A control's title (the first line) and description (the rest) from a mitigation text."""
    first, _, rest = mitigation.strip().partition("\n")
    first = _clean(first)
    if len(first) <= NAME_LENGTH:
        return first, rest.strip()
    cut = first[: NAME_LENGTH - 1]
    cut = cut[: cut.rindex(" ")] if " " in cut[NAME_LENGTH // 2 :] else cut
    return cut.rstrip() + "…", mitigation.strip()


def _threat_of_extension(
    extension: dict[str, Any], ref: str
) -> tuple[Threat, list[str], list[tuple[Control, int]]] | None:
    """The threat, its assets' names and its controls as the writer put them, or None if they are not."""

    def string(key: str, source: dict[str, Any] = extension) -> str:
        value = source.get(key, "")
        return value if isinstance(value, str) else ""

    def strings(key: str) -> list[str] | None:
        value = extension.get(key, [])
        return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else None

    goals, stride, assets = strings("impactedGoals"), strings("stride"), strings("impactedAssets")
    status, likelihood = string("status"), string("likelihood")
    if (
        goals is None
        or stride is None
        or assets is None
        or not string("threatSource")
        or not string("threatAction")
        or not set(goals) <= set(Goal.values)
        or not set(stride) <= set(Stride.values)
        or status not in ThreatStatus.values
        or (likelihood and likelihood not in LikelihoodLevel.values)
        or (status == ThreatStatus.REJECTED and not string("statusReason"))
    ):
        return None
    threat = Threat(
        ref=ref,
        threat_source=string("threatSource"),
        prerequisites=string("prerequisites"),
        threat_action=string("threatAction"),
        threat_impact=string("threatImpact"),
        impacted_goals=goals,
        stride=stride,
        status=status,
        status_reason=string("statusReason"),
        likelihood=likelihood,
    )
    controls: list[tuple[Control, int]] = []
    items = extension.get("controls", [])
    if not isinstance(items, list):
        return None
    for item in items:
        control = _control_of_extension(item)
        effectiveness = item.get("effectiveness", DEFAULT_EFFECTIVENESS) if control else None
        if (
            control is None
            or not isinstance(effectiveness, int)
            or isinstance(effectiveness, bool)
            or not 0 <= effectiveness <= 100
        ):
            return None
        controls.append((control, effectiveness))
    return threat, assets, controls


def _control_of_extension(item: Any) -> Control | None:
    """A control as the writer put it under threatmodel, or None if it is not one."""
    if not isinstance(item, dict):
        return None
    values = {key: item.get(key, "") for key in ("id", "title", "description", "ticketUrl")}
    if (
        not all(isinstance(value, str) for value in values.values())
        or not values["id"]
        or not values["title"]
    ):
        return None
    return Control(
        ref=values["id"],
        title=values["title"],
        description=values["description"],
        kind=_choice(item.get("kind"), ControlKind.values, ControlKind.PREVENTIVE),
        status=_choice(item.get("status"), ControlStatus.values, ControlStatus.PROPOSED),
        ticket_url=values["ticketUrl"],
    )


# Writing


@dataclass
class _Block:
    """A rectangle of the layout: a component's slot, or a zone's box with the blocks inside it."""

    width: float
    height: float
    component: Component | None = None
    zone: Zone | None = None
    inside: list[tuple[float, float, _Block]] = field(default_factory=list)


SLOT_WIDTH, SLOT_HEIGHT = 200, 140
PADDING, HEADER, GAP = 30, 40, 40
COLUMNS = 4


def _pack(blocks: list[_Block]) -> tuple[list[tuple[float, float, _Block]], float, float]:
    """Blocks in rows of COLUMNS, left to right: their offsets, and the width and height they take."""
    placed: list[tuple[float, float, _Block]] = []
    width = height = 0.0
    for start in range(0, len(blocks), COLUMNS):
        row = blocks[start : start + COLUMNS]
        x = 0.0
        for block in row:
            placed.append((x, height, block))
            x += block.width + GAP
        width = max(width, x - GAP)
        height += max(block.height for block in row) + GAP
    return placed, width, max(height - GAP, 0.0)


class _Writer:
    def __init__(self, document: ModelDocument) -> None:
        self.document = document
        self.ids: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()
        self.asset_names = {asset.ref: asset.name for asset in document.assets}
        self.components = {component.ref: component for component in document.components}
        self.zones = {zone.ref: zone for zone in document.zones}
        self.flows = {flow.ref: flow for flow in document.flows if self._joins(flow)}
        self.controls = {control.ref: control for control in document.controls}
        self.links: dict[str, list[Link]] = {}
        threats = {threat.ref for threat in document.threats}
        for link in document.links:
            if link.control in self.controls and link.threat in threats:
                self.links.setdefault(link.threat, []).append(link)
        self.threats_on: dict[str, list[dict[str, Any]]] = {}
        self.unplaced: list[dict[str, Any]] = []
        self.z_index = 0

    def _joins(self, flow: Flow) -> bool:
        return (
            flow.source in self.components
            and flow.destination in self.components
            and flow.source != flow.destination
        )

    def _id(self, kind: str, ref: str) -> str:
        """A cell id for a part: the part's own when it is a UUID (a file from Threat Dragon), else made from it."""
        key = (kind, ref)
        if key not in self.ids:
            candidate = (
                ref
                if _UUID.match(ref) and ref not in self.used
                else str(uuid.uuid5(_NAMESPACE, f"{kind}:{ref}"))
            )
            while candidate in self.used:
                candidate = str(uuid.uuid5(_NAMESPACE, candidate))
            self.used.add(candidate)
            self.ids[key] = candidate
        return self.ids[key]

    def _next_z(self) -> int:
        self.z_index += 1
        return self.z_index

    def write(self) -> dict[str, Any]:
        document = self.document
        self._place_threats()
        boxes: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        placed, _, height = _pack(self._blocks())
        for x, y, block in placed:
            self._emit(block, 40 + x, 40 + y, boxes, nodes)
        flows = [self._flow_cell(flow) for flow in self.flows.values()]
        cells = boxes + nodes + flows
        if self.unplaced:
            cells.append(self._unplaced_cell(40, 40 + height + GAP * 2))
        assets = [
            {
                "name": asset.name,
                "kind": asset.kind,
                "description": asset.description,
                "classification": asset.classification,
                "confidentiality": asset.confidentiality,
                "integrity": asset.integrity,
                "availability": asset.availability,
            }
            for asset in document.assets
        ]
        return {
            "version": VERSION,
            "summary": {"title": document.name, "owner": "", "description": document.description, "id": 0},
            "detail": {
                "contributors": [],
                "diagrams": [
                    {
                        "version": VERSION,
                        "title": document.name,
                        "description": "",
                        "thumbnail": "./public/content/images/thumbnail.stride.jpg",
                        "diagramType": "STRIDE",
                        "id": 0,
                        "cells": cells,
                    }
                ],
                "diagramTop": 1,
                "reviewer": "",
                "threatTop": len(document.threats),
                EXTENSION: {"assets": assets, "controls": self._unlinked_controls()},
            },
        }

    def _unlinked_controls(self) -> list[dict[str, Any]]:
        """Controls linked to no threat: Threat Dragon keeps mitigations on threats only."""
        linked = {link.control for links in self.links.values() for link in links}
        return [
            {
                "id": self._id("control", control.ref),
                "title": control.title,
                "description": control.description,
                "kind": control.kind,
                "status": control.status,
                "ticketUrl": control.ticket_url,
            }
            for control in self.document.controls
            if control.ref not in linked
        ]

    def _place_threats(self) -> None:
        for number, threat in enumerate(self.document.threats, start=1):
            item = self._threat(threat, number)
            targets = [ref for ref in threat.targets if ref in self.components or ref in self.flows]
            for ref in dict.fromkeys(targets):
                self.threats_on.setdefault(ref, []).append(item)
            if not targets:
                self.unplaced.append(item)

    def _threat(self, threat: Threat, number: int) -> dict[str, Any]:
        asset_names = [self.asset_names[ref] for ref in threat.assets if ref in self.asset_names]
        links = self.links.get(threat.ref, [])
        controls = [self.controls[link.control] for link in links]
        return {
            "id": self._id("threat", threat.ref),
            "number": number,
            **_shown(threat, asset_names, controls),
            "modelType": "STRIDE",
            "score": "",
            EXTENSION: {
                "threatSource": threat.threat_source,
                "prerequisites": threat.prerequisites,
                "threatAction": threat.threat_action,
                "threatImpact": threat.threat_impact,
                "impactedGoals": list(threat.impacted_goals),
                "impactedAssets": asset_names,
                "stride": list(threat.stride),
                "status": threat.status,
                "statusReason": threat.status_reason,
                "likelihood": threat.likelihood,
                "controls": [
                    {
                        "id": self._id("control", control.ref),
                        "title": control.title,
                        "description": control.description,
                        "kind": control.kind,
                        "status": control.status,
                        "ticketUrl": control.ticket_url,
                        "effectiveness": link.effectiveness,
                    }
                    for control, link in zip(controls, links, strict=True)
                ],
            },
        }

    def _zone_tree(self) -> dict[str, list[Zone]]:
        """Each zone under its parent ("" for the top); a zone whose parents lead round in a circle is on top."""
        children: dict[str, list[Zone]] = {}
        for zone in self.document.zones:
            children.setdefault(self._parent(zone), []).append(zone)
        return children

    def _parent(self, zone: Zone) -> str:
        seen, parent = {zone.ref}, zone.parent
        while parent in self.zones:
            if parent in seen:
                return ""
            seen.add(parent)
            parent = self.zones[parent].parent
        return zone.parent if zone.parent in self.zones else ""

    def _blocks(self) -> list[_Block]:
        """The layout's top blocks; a zone's block is built after its children's (no recursion: zones nest deep)."""
        children = self._zone_tree()
        members: dict[str, list[Component]] = {}
        for component in self.document.components:
            members.setdefault(component.zone if component.zone in self.zones else "", []).append(component)
        order: list[Zone] = []
        stack = list(children.get("", []))
        while stack:
            zone = stack.pop()
            order.append(zone)
            stack.extend(children.get(zone.ref, []))
        built: dict[str, _Block] = {}
        for zone in reversed(order):
            inner = [_Block(SLOT_WIDTH, SLOT_HEIGHT, component=c) for c in members.get(zone.ref, [])]
            inner += [built[child.ref] for child in children.get(zone.ref, [])]
            placed, width, height = _pack(inner)
            built[zone.ref] = _Block(
                max(width + 2 * PADDING, SLOT_WIDTH),
                max(height + HEADER + PADDING, SLOT_HEIGHT),
                zone=zone,
                inside=[(PADDING + x, HEADER + y, block) for x, y, block in placed],
            )
        blocks = [built[zone.ref] for zone in children.get("", [])]
        return blocks + [_Block(SLOT_WIDTH, SLOT_HEIGHT, component=c) for c in members.get("", [])]

    def _emit(
        self, top: _Block, x: float, y: float, boxes: list[dict[str, Any]], nodes: list[dict[str, Any]]
    ) -> None:
        """The cells of a block and of the blocks inside it, outer boxes first."""
        stack = [(top, x, y, 0)]
        while stack:
            block, x, y, depth = stack.pop()
            if block.zone is not None:
                boxes.append(self._box_cell(block.zone, x, y, block.width, block.height, depth))
                stack.extend((inner, x + dx, y + dy, depth + 1) for dx, dy, inner in reversed(block.inside))
            elif block.component is not None:
                nodes.append(self._node_cell(block.component, x, y))

    def _box_cell(
        self, zone: Zone, x: float, y: float, width: float, height: float, depth: int
    ) -> dict[str, Any]:
        return {
            "id": self._id("zone", zone.ref),
            "shape": "trust-boundary-box",
            "zIndex": -50 + min(depth, 49),
            "visible": True,
            "position": {"x": x, "y": y},
            "size": {"width": width, "height": height},
            "attrs": {"headerText": {"text": zone.name}},
            "data": {
                "type": BOX,
                "name": zone.name,
                "description": zone.description,
                "isTrustBoundary": True,
                "hasOpenThreats": False,
                EXTENSION: {"trustLevel": zone.trust_level},
            },
        }

    def _node_cell(self, component: Component, x: float, y: float) -> dict[str, Any]:
        shape, kind, width, height = _SHAPE_OF_KIND.get(
            ComponentKind(component.kind)
            if component.kind in ComponentKind.values
            else ComponentKind.PROCESS,
            _SHAPE_OF_KIND[ComponentKind.PROCESS],
        )
        flags = _FLAG_TAGS[kind]
        by_tag = {tag: flag for flag, tag in flags.items()}
        out_of_scope = OUT_OF_SCOPE_TAG in component.tags
        description, reason = component.description, ""
        if out_of_scope and description.startswith(OUT_OF_SCOPE_LINE):
            description, reason = "", description.removeprefix(OUT_OF_SCOPE_LINE)
        elif out_of_scope and f"\n\n{OUT_OF_SCOPE_LINE}" in description:
            description, _, reason = description.rpartition(f"\n\n{OUT_OF_SCOPE_LINE}")
        privilege = (
            next((tag for tag in component.tags if tag.startswith(PRIVILEGE_TAG)), None)
            if kind == PROCESS
            else None
        )
        threats = self.threats_on.get(component.ref, [])
        data: dict[str, Any] = {
            "type": kind,
            "name": component.name,
            "description": description,
            "outOfScope": out_of_scope,
            "reasonOutOfScope": reason,
            "isTrustBoundary": False,
            "hasOpenThreats": any(item["status"] == "Open" for item in threats),
            **{flag: tag in component.tags for flag, tag in flags.items()},
            "threats": threats,
            EXTENSION: {
                "kind": component.kind,
                "technology": component.technology,
                "tags": [
                    tag
                    for tag in component.tags
                    if tag not in by_tag and tag != OUT_OF_SCOPE_TAG and tag != privilege
                ],
                "assets": [self.asset_names[ref] for ref in component.assets if ref in self.asset_names],
            },
        }
        if kind == PROCESS:
            data["privilegeLevel"] = privilege.removeprefix(PRIVILEGE_TAG) if privilege else ""
        return {
            "id": self._id("component", component.ref),
            "shape": shape,
            "zIndex": self._next_z(),
            "visible": True,
            "position": {"x": x + (SLOT_WIDTH - width) / 2, "y": y + (SLOT_HEIGHT - height) / 2},
            "size": {"width": width, "height": height},
            "attrs": {"text": {"text": component.name}},
            "data": data,
        }

    def _public(self, ref: str) -> bool:
        zone = self.zones.get(self.components[ref].zone)
        return zone is not None and zone.trust_level == TrustLevel.UNTRUSTED

    def _flow_cell(self, flow: Flow) -> dict[str, Any]:
        threats = self.threats_on.get(flow.ref, [])
        return {
            "id": self._id("flow", flow.ref),
            "shape": "flow",
            "zIndex": self._next_z(),
            "connector": "smooth",
            "source": {"cell": self._id("component", flow.source)},
            "target": {"cell": self._id("component", flow.destination)},
            "vertices": [],
            "attrs": {
                "line": {
                    "stroke": "#333333",
                    "strokeWidth": 1,
                    "sourceMarker": {"name": ""},
                    "targetMarker": {"name": "block"},
                }
            },
            "labels": [{"position": 0.5, "attrs": {"labelText": {"text": flow.name}}}],
            "data": {
                "type": FLOW,
                "name": flow.name,
                "description": "",
                "outOfScope": False,
                "reasonOutOfScope": "",
                "isTrustBoundary": False,
                "hasOpenThreats": any(item["status"] == "Open" for item in threats),
                "isBidirectional": False,
                "isEncrypted": flow.is_encrypted,
                "isPublicNetwork": self._public(flow.source) or self._public(flow.destination),
                "protocol": flow.protocol,
                "threats": threats,
                EXTENSION: {
                    "isAuthenticated": flow.is_authenticated,
                    "dataCarried": flow.data_carried,
                    "assets": [self.asset_names[ref] for ref in flow.assets if ref in self.asset_names],
                },
            },
        }

    def _unplaced_cell(self, x: float, y: float) -> dict[str, Any]:
        titles = [item["title"] for item in self.unplaced]
        listed = "\n".join(f"- {title[:80]}" for title in titles[:20])
        more = f"\n… and {len(titles) - 20} more" if len(titles) > 20 else ""
        return {
            "id": self._id("text", UNPLACED_THREATS),
            "shape": "td-text-block",
            "zIndex": self._next_z(),
            "visible": True,
            "position": {"x": x, "y": y},
            "size": {"width": 400, "height": 40 + 20 * min(len(titles), 21)},
            "attrs": {"text": {"text": f"Threats on no element:\n{listed}{more}"}},
            "data": {
                "type": TEXT,
                "name": f"Threats on no element:\n{listed}{more}",
                "hasOpenThreats": any(item["status"] == "Open" for item in self.unplaced),
                "threats": self.unplaced,
                EXTENSION: {"role": UNPLACED_THREATS},
            },
        }

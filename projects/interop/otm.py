"""Open Threat Model (OTM): reading both shapes of it, and writing OTM 0.2 that validates against its schema.

Which shape a file has is told by its keys, one part at a time, never by ``otmVersion``: 0.2 files have
``trustZones``, a ``parent`` object (``{trustZone: id}``, ``{component: id}``, or the spec's own example
``{id, type}``) and flows from ``source`` to ``destination``; older files have ``trustzones``, a plain-string
``parent`` (the id of a zone or of a component) and flows ``from``/``to`` (the spec's example also says
``target``). Each part is read by the keys it has, so a file declaring 0.2 while using the older keys reads too.

How each OTM field lands in the project (decided once, here):

- project: ``name`` and ``description``; owner, tags and attributes are listed as warnings.
- trust zones: ``risk.trustRating`` 0-100 becomes our trust level 0-4 by the nearest quarter (0-12 untrusted,
  13-37 low, 38-62 medium, 63-87 high, 88-100 fully trusted); a zone without a rating is medium. A ``parent``
  zone nests it; a parent component has no place (zones do not sit in components) and is warned about.
- assets: ``risk.confidentiality``/``integrity``/``availability`` 0-100 become ratings by quarter (0-25 low,
  26-50 medium, 51-75 high, 76-100 critical); the classification follows confidentiality (0 public, up to 50
  internal, up to 75 confidential, above restricted); the rating ``comment`` goes to the notes.
- components: the ``type`` is kept as the technology and decides the kind: a type naming a client, user or
  browser is an actor, one naming a database, store, bucket or cache a data store, one naming an external or
  third-party service an external service, anything else a process. A component inside another component is
  imported as its own component in the trust zone of the outermost one, tagged “part of <parent>”, with a
  warning. ``assets.processed`` and ``assets.stored`` together become its assets.
- data flows: source, destination, name and assets. A ``bidirectional`` flow stays one flow, from its source
  to its destination, with a warning; a flow's description goes to the notes (our flows have none).
- threats: OTM threats are short names with a description, so the statement reads “An attacker can <name>:
  <description>”: ``threat_source`` is “attacker”, ``threat_action`` the name and the description, and
  ``risk.impactComment`` becomes ``threat_impact``. ``categories`` that are STRIDE words become STRIDE letters.
  ``risk.likelihood`` 0-100 becomes a likelihood level by NIST SP 800-30's semi-quantitative bands (0-4 very
  low, 5-20 low, 21-79 moderate, 80-95 high, 96-100 very high); ``risk.impact`` is not kept, because impact
  belongs to the business risks a threat leads to. A threat's targets are the components and flows that list it.
- threat states (per component or flow in OTM, per threat here): exposed/open → identified, partly mitigated or
  confirmed → confirmed, in review → in review, mitigated → mitigated, accepted → accepted, not applicable,
  rejected or false positive → rejected (with the state as the reason). When a threat's instances disagree the
  most open state wins (identified, in review, confirmed, mitigated, accepted, rejected) and a warning says so.
- mitigations become controls; the instances' states become the control's status (recommended/proposed →
  proposed, required/planned → planned, in progress → in progress, implemented → implemented, verified or tested
  → verified; when they disagree the least advanced wins, with a warning), and each threat a mitigation is
  listed under becomes a link whose effectiveness is the mitigation's ``riskReduction``. A mitigation whose
  state on an instance is rejected or not applicable is not linked there.

The export writes OTM 0.2 (JSON). What OTM has no field for travels in ``attributes`` under names starting with
``threatmodel.`` (the statement's parts, goals and assets, the exact status and reason, each link's own
effectiveness, a control's kind and status, a flow's protocol and flags, a component's kind), so importing our
own export gives back the same project; other tools read the standard fields. Components outside any zone sit in
a placeholder zone (OTM requires a parent) marked ``threatmodel.placeholder``, which the import drops again.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.text import slugify

from projects.models import Asset as AssetModel
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
from projects.models import Component as ComponentModel
from projects.models import Control as ControlModel
from projects.models import DataFlow as FlowModel
from projects.models import Threat as ThreatModel
from projects.models import TrustZone as ZoneModel

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
from .reading import (
    Dropped,
    Names,
    at,
    check_size,
    fit,
    items_limit,
    kind_of,
    limit,
    mapping,
    number,
    sequence,
    text,
    texts,
)

FORMAT = "otm"
LABEL = "Open Threat Model"
OTM_VERSION = "0.2.0"

# Attributes our export writes for what OTM has no field for; other tools ignore them.
OURS = "threatmodel."
THREAT_SOURCE = "attacker"

# The values our choices take, as sets: an attribute of our export is used only when it holds one of them.
_COMPONENT_KINDS = frozenset(ComponentKind.values)
_ASSET_KINDS = frozenset(AssetKind.values)
_CLASSIFICATIONS = frozenset(DataClassification.values)
_GOALS = frozenset(Goal.values)
_CONTROL_KINDS = frozenset(ControlKind.values)
_THREAT_STATUSES = frozenset(ThreatStatus.values)
_CONTROL_STATUSES = frozenset(ControlStatus.values)

_ZONE_KEYS = ("trustZones", "trustzones")
_SECTIONS = ("trustZones", "trustzones", "components", "dataflows")

_STRIDE_WORDS = {
    "spoofing": Stride.SPOOFING,
    "tampering": Stride.TAMPERING,
    "repudiation": Stride.REPUDIATION,
    "information-disclosure": Stride.INFORMATION_DISCLOSURE,
    "denial-of-service": Stride.DENIAL_OF_SERVICE,
    "elevation-of-privilege": Stride.ELEVATION_OF_PRIVILEGE,
    "elevation-of-privileges": Stride.ELEVATION_OF_PRIVILEGE,
}

_THREAT_STATES = {
    "exposed": ThreatStatus.IDENTIFIED,
    "expose": ThreatStatus.IDENTIFIED,
    "open": ThreatStatus.IDENTIFIED,
    "new": ThreatStatus.IDENTIFIED,
    "identified": ThreatStatus.IDENTIFIED,
    "not-mitigated": ThreatStatus.IDENTIFIED,
    "in-review": ThreatStatus.IN_REVIEW,
    "review": ThreatStatus.IN_REVIEW,
    "in-discussion": ThreatStatus.IN_REVIEW,
    "confirmed": ThreatStatus.CONFIRMED,
    "partly-mitigated": ThreatStatus.CONFIRMED,
    "partially-mitigated": ThreatStatus.CONFIRMED,
    "mitigated": ThreatStatus.MITIGATED,
    "mitigate": ThreatStatus.MITIGATED,
    "fixed": ThreatStatus.MITIGATED,
    "resolved": ThreatStatus.MITIGATED,
    "accepted": ThreatStatus.ACCEPTED,
    "accept": ThreatStatus.ACCEPTED,
    "not-applicable": ThreatStatus.REJECTED,
    "na": ThreatStatus.REJECTED,
    "n-a": ThreatStatus.REJECTED,
    "rejected": ThreatStatus.REJECTED,
    "false-positive": ThreatStatus.REJECTED,
}
# When a threat's instances disagree, the first of these among them wins: an open threat stays open.
_THREAT_STATUS_ORDER = [
    ThreatStatus.IDENTIFIED,
    ThreatStatus.IN_REVIEW,
    ThreatStatus.CONFIRMED,
    ThreatStatus.MITIGATED,
    ThreatStatus.ACCEPTED,
    ThreatStatus.REJECTED,
]
_EXPORTED_THREAT_STATES = {
    ThreatStatus.IDENTIFIED: "exposed",
    ThreatStatus.IN_REVIEW: "in-review",
    ThreatStatus.CONFIRMED: "confirmed",
    ThreatStatus.MITIGATED: "mitigated",
    ThreatStatus.ACCEPTED: "accepted",
    ThreatStatus.REJECTED: "not-applicable",
}

_MITIGATION_STATES = {
    "recommended": ControlStatus.PROPOSED,
    "proposed": ControlStatus.PROPOSED,
    "required": ControlStatus.PLANNED,
    "planned": ControlStatus.PLANNED,
    "in-progress": ControlStatus.IN_PROGRESS,
    "implemented": ControlStatus.IMPLEMENTED,
    "verified": ControlStatus.VERIFIED,
    "tested": ControlStatus.VERIFIED,
}
_NOT_APPLIED_STATES = frozenset({"rejected", "not-applicable", "na", "n-a"})
# When a control's instances disagree, the least advanced of them wins: it is not in force everywhere yet.
_CONTROL_STATUS_ORDER = [
    ControlStatus.PROPOSED,
    ControlStatus.PLANNED,
    ControlStatus.IN_PROGRESS,
    ControlStatus.IMPLEMENTED,
    ControlStatus.VERIFIED,
]
_EXPORTED_MITIGATION_STATES = {
    ControlStatus.PROPOSED: "recommended",
    ControlStatus.PLANNED: "required",
    ControlStatus.IN_PROGRESS: "in-progress",
    ControlStatus.IMPLEMENTED: "implemented",
    ControlStatus.VERIFIED: "verified",
}

# Words in a component's type that tell its kind; the first kind with a matching word wins.
_KIND_WORDS: list[tuple[ComponentKind, frozenset[str]]] = [
    (
        ComponentKind.ACTOR,
        frozenset({"client", "user", "users", "actor", "browser", "human", "person", "customer", "mobile"}),
    ),
    (
        ComponentKind.DATA_STORE,
        frozenset(
            [
                "database",
                "db",
                "datastore",
                "store",
                "storage",
                "bucket",
                "s3",
                "cache",
                "sql",
                "nosql",
                "rds",
                "dynamodb",
                "redis",
                "mongodb",
                "postgres",
                "postgresql",
                "mysql",
                "filesystem",
                "disk",
            ]
        ),
    ),
    (
        ComponentKind.EXTERNAL_SERVICE,
        frozenset({"external", "third", "thirdparty", "saas", "partner", "vendor"}),
    ),
]


def recognises(data: Any) -> bool:
    """An object with ``otmVersion``, or a ``project`` object beside OTM's sections."""
    if not isinstance(data, dict):
        return False
    return "otmVersion" in data or (
        isinstance(data.get("project"), dict) and any(key in data for key in _SECTIONS)
    )


def read(data: Any) -> ModelDocument:
    return _Reader(data).read()


def _state(value: str) -> str:
    """A state as a key of the tables above: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def _trust_level(rating: float) -> int:
    return min(int(TrustLevel.FULL), int(rating / 25 + 0.5))


def _rating(value: float) -> int:
    """0-100 to a rating by quarter: 0-25 low, 26-50 medium, 51-75 high, 76-100 critical."""
    for rating in (Rating.LOW, Rating.MEDIUM, Rating.HIGH):
        if value <= rating * 25:
            return int(rating)
    return int(Rating.CRITICAL)


def _classification(confidentiality: float) -> str:
    if confidentiality == 0:
        return DataClassification.PUBLIC.value
    if confidentiality <= 50:
        return DataClassification.INTERNAL.value
    if confidentiality <= 75:
        return DataClassification.CONFIDENTIAL.value
    return DataClassification.RESTRICTED.value


def _likelihood(value: float) -> str:
    """NIST SP 800-30 (table G-2) semi-quantitative bands."""
    if value < 5:
        return LikelihoodLevel.VERY_LOW.value
    if value < 21:
        return LikelihoodLevel.LOW.value
    if value < 80:
        return LikelihoodLevel.MODERATE.value
    if value < 96:
        return LikelihoodLevel.HIGH.value
    return LikelihoodLevel.VERY_HIGH.value


# The representative value of each level on NIST's scale (0, 2, 5, 8, 10, times ten), back in its own band.
_LIKELIHOOD_VALUES = {
    LikelihoodLevel.VERY_LOW: 0,
    LikelihoodLevel.LOW: 20,
    LikelihoodLevel.MODERATE: 50,
    LikelihoodLevel.HIGH: 80,
    LikelihoodLevel.VERY_HIGH: 100,
}


def _kind(otm_type: str) -> str:
    if otm_type in _COMPONENT_KINDS:
        return otm_type
    words = set(re.split(r"[^a-z0-9]+", otm_type.lower()))
    for kind, kind_words in _KIND_WORDS:
        if words & kind_words:
            return kind.value
    return ComponentKind.PROCESS.value


@dataclass
class _Parent:
    kind: str  # "zone", "component", or "any" for a plain string that may be either
    ref: str
    where: str


@dataclass
class _Instance:
    state: str
    where: str


@dataclass
class _ThreatReading:
    threat: Threat
    name: str
    where: str
    states: list[_Instance] = field(default_factory=list)
    ours: dict[str, str] = field(default_factory=dict)


@dataclass
class _ControlReading:
    control: Control
    where: str
    risk_reduction: int
    states: list[_Instance] = field(default_factory=list)
    ours: dict[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise InvalidModelFile(f"An OTM file holds an object; this one holds {kind_of(data)}.")
        self.root: dict[str, Any] = data
        self.document = ModelDocument(format=FORMAT, name="")
        self.zones: dict[str, Zone] = {}
        self.zone_parents: dict[str, _Parent] = {}
        self.placeholders: set[str] = set()
        self.assets: dict[str, Asset] = {}
        self.components: dict[str, Component] = {}
        self.component_parents: dict[str, _Parent | None] = {}
        self.flow_ids: set[str] = set()
        self.threats: dict[str, _ThreatReading] = {}
        self.controls: dict[str, _ControlReading] = {}
        self.links: dict[str, dict[str, Link]] = {}  # by threat, then control
        self.names = {kind: Names(self.document, kind) for kind in ("zone", "asset", "component")}
        # What the parts of a section have that the project does not keep: (section, what) -> examples.
        self.dropped = Dropped(self.document)

    def read(self) -> ModelDocument:
        root = self.root
        self._project()
        sections = (*_ZONE_KEYS, "assets", "components", "dataflows", "threats", "mitigations")
        check_size(sum(len(root[key]) for key in sections if isinstance(root.get(key), list)))
        for key in _ZONE_KEYS:
            for index, item in enumerate(sequence(root.get(key), key)):
                self._zone(item, at(key, index))
        for index, item in enumerate(sequence(root.get("assets"), "assets")):
            self._asset(item, at("assets", index))
        for index, item in enumerate(sequence(root.get("threats"), "threats")):
            self._threat(item, at("threats", index))
        for index, item in enumerate(sequence(root.get("mitigations"), "mitigations")):
            self._mitigation(item, at("mitigations", index))
        components = [
            self._component(item, at("components", index))
            for index, item in enumerate(sequence(root.get("components"), "components"))
        ]
        self._nest_zones()
        self._place_components()
        for ref, item, where in components:
            self._instances(item.get("threats"), at(where, "threats"), ref)
        for index, item in enumerate(sequence(root.get("dataflows"), "dataflows")):
            self._flow(item, at("dataflows", index))
        self._settle_threats()
        self._settle_controls()
        self.dropped.report()
        document = self.document
        document.links = [
            link for threat in document.threats for link in self.links.get(threat.ref, {}).values()
        ]
        check_size(sum(document.counts().values()) + len(document.links))
        if not document.components and not document.threats:
            raise InvalidModelFile(
                "The file has no components and no threats, so there is nothing to import."
            )
        return document

    # Each section ----------------------------------------------------------------------------------------------

    def _project(self) -> None:
        project = mapping(self.root.get("project"), "project")
        document = self.document
        name = text(project.get("name"), "project.name", required="the project's name")
        document.name = fit(document, name, limit(Project, "name"), "project.name", "The project's name")
        document.description = self._description(project, "project", Project)
        for key, what in (("owner", "owner"), ("ownerContact", "owner's contact")):
            if value := text(project.get(key), at("project", key)):
                document.warn(at("project", key), f"The project's {what} “{value}” is not kept.")
        if tags := texts(project.get("tags"), "project.tags"):
            document.warn("project.tags", f"The project's tags ({', '.join(tags)}) are not kept.")
        self._foreign_attributes(project, "project")
        if representations := sequence(self.root.get("representations"), "representations"):
            document.warn(
                "representations",
                f"The file's {len(representations)} representations (diagrams, code) are not kept, nor where "
                "its parts sit in them.",
            )

    def _zone(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        ref = self._id(item, where, self.zones.keys() | self.placeholders, "trust zone")
        if self._ours(item, where).get("placeholder") == "true":
            self.placeholders.add(ref)
            return
        name = self._name(item, where, "zone", ZoneModel, "trust zone")
        risk_where = at(where, "risk")
        risk = mapping(item.get("risk"), risk_where, optional=True)
        rating = number(
            risk.get("trustRating", item.get("trustRating")), at(risk_where, "trustRating"), low=0, high=100
        )
        if rating is None:
            self.document.warn(
                where, f"The trust zone “{name}” has no trust rating; it is imported as medium."
            )
        zone = Zone(
            ref=ref,
            name=name,
            trust_level=_trust_level(rating) if rating is not None else int(TrustLevel.MEDIUM),
            description=self._description(item, where, ZoneModel),
        )
        if (parent := self._parent(item.get("parent"), at(where, "parent"))) is not None:
            self.zone_parents[ref] = parent
        self.zones[ref] = zone
        self.document.zones.append(zone)
        if zone_type := text(item.get("type"), at(where, "type")):
            self.dropped.note("trustZones", "trust zones' types", zone_type)
        self._drop_representations(item, "trustZones")
        self._foreign_attributes(item, where)

    def _asset(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        ref = self._id(item, where, self.assets.keys(), "asset")
        name = self._name(item, where, "asset", AssetModel, "asset")
        asset = Asset(ref=ref, name=name, description=self._description(item, where, AssetModel))
        risk_where = at(where, "risk")
        risk = mapping(item.get("risk"), risk_where, optional=True)
        ratings = {
            goal: number(risk.get(goal), at(risk_where, goal), low=0, high=100)
            for goal in ("confidentiality", "integrity", "availability")
        }
        if unrated := [goal for goal, value in ratings.items() if value is None]:
            self.document.warn(
                risk_where,
                f"The asset “{name}” has no {' or '.join(unrated)} rating; it is rated medium there.",
            )
        asset.confidentiality, asset.integrity, asset.availability = (
            _rating(value) if value is not None else int(Rating.MEDIUM) for value in ratings.values()
        )
        if (confidentiality := ratings["confidentiality"]) is not None:
            asset.classification = _classification(confidentiality)
        if comment := text(risk.get("comment"), at(risk_where, "comment")):
            self.document.warn(
                at(risk_where, "comment"), "The rating's comment is kept in the project's notes."
            )
            self.document.notes.append(f"Asset “{name}”, why it is rated so: {comment}")
        ours = self._ours(item, where)
        if ours.get("kind") in _ASSET_KINDS:
            asset.kind = ours["kind"]
        if ours.get("classification") in _CLASSIFICATIONS:
            asset.classification = ours["classification"]
        self.assets[ref] = asset
        self.document.assets.append(asset)
        self._foreign_attributes(item, where)

    def _threat(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        document = self.document
        ref = self._id(item, where, self.threats.keys(), "threat")
        name = text(item.get("name"), at(where, "name"), required="the threat's name")
        description = text(item.get("description"), at(where, "description"))
        action = f"{name}: {description}" if description else name
        threat = Threat(
            ref=ref,
            threat_source=THREAT_SOURCE,
            threat_action=fit(
                document, action, limit(ThreatModel, "threat_action"), where, f"Threat “{name}”"
            ),
        )
        for category in texts(item.get("categories"), at(where, "categories")):
            letter = _STRIDE_WORDS.get(_state(category))
            if letter is None:
                self.dropped.note("threats", "threat categories other than STRIDE's", category)
            elif letter not in threat.stride:
                threat.stride.append(letter.value)
        risk_where = at(where, "risk")
        risk = mapping(item.get("risk"), risk_where, optional=True)
        likelihood = number(risk.get("likelihood"), at(risk_where, "likelihood"), low=0, high=100)
        threat.likelihood = _likelihood(likelihood) if likelihood is not None else ""
        impact = number(risk.get("impact"), at(risk_where, "impact"), low=0, high=100)
        if impact_comment := text(risk.get("impactComment"), at(risk_where, "impactComment")):
            threat.threat_impact = fit(
                document,
                impact_comment,
                limit(ThreatModel, "threat_impact"),
                at(risk_where, "impactComment"),
                f"The impact of threat “{name}”",
            )
        if likelihood_comment := text(risk.get("likelihoodComment"), at(risk_where, "likelihoodComment")):
            document.warn(
                at(risk_where, "likelihoodComment"), "The likelihood's comment is kept in the notes."
            )
            document.notes.append(f"Threat “{name}”, why it is as likely as it is: {likelihood_comment}")
        ours = self._ours(item, where)
        if "threatAction" in ours:
            self._our_statement(threat, ours, where)
        else:
            if impact is not None:
                self.dropped.note(
                    "threats", "threats' impact ratings (impact is rated on business risks)", name
                )
            for key in ("cwes", "tags"):
                for value in texts(item.get(key), at(where, key)):
                    self.dropped.note("threats", f"threats' {key}", value)
        self.threats[ref] = _ThreatReading(threat=threat, name=name, where=where, ours=ours)
        document.threats.append(threat)
        self._foreign_attributes(item, where)

    def _our_statement(self, threat: Threat, ours: dict[str, str], where: str) -> None:
        """The statement as our export wrote it, in place of the one made from the name and description."""
        where = at(where, "attributes")
        for key, name in (
            ("threatSource", "threat_source"),
            ("prerequisites", "prerequisites"),
            ("threatAction", "threat_action"),
            ("threatImpact", "threat_impact"),
        ):
            place = at(where, OURS + key)
            value = fit(
                self.document, ours.get(key, ""), limit(ThreatModel, name), place, "A threat's statement"
            )
            setattr(threat, name, value)
        threat.threat_source = threat.threat_source or THREAT_SOURCE
        threat.impacted_goals = [
            goal
            for goal in _json_list(ours.get("impactedGoals"), at(where, OURS + "impactedGoals"))
            if goal in _GOALS
        ]
        threat.assets = [
            ref
            for ref in _json_list(ours.get("impactedAssets"), at(where, OURS + "impactedAssets"))
            if ref in self.assets
        ]

    def _mitigation(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        document = self.document
        ref = self._id(item, where, self.controls.keys(), "mitigation")
        name = text(item.get("name"), at(where, "name"), required="the mitigation's name")
        control = Control(
            ref=ref,
            title=fit(document, name, limit(ControlModel, "title"), at(where, "name"), "A mitigation's name"),
            description=self._description(item, where, ControlModel),
        )
        reduction = number(item.get("riskReduction"), at(where, "riskReduction"), low=0, high=100)
        if reduction is None:
            document.warn(
                at(where, "riskReduction"), f"The mitigation “{name}” has no risk reduction; 50 is used."
            )
            reduction = 50
        ours = self._ours(item, where)
        if ours.get("kind") in _CONTROL_KINDS:
            control.kind = ours["kind"]
        control.ticket_url = ours.get("ticketUrl", "")
        self.controls[ref] = _ControlReading(
            control=control, where=where, risk_reduction=round(reduction), ours=ours
        )
        document.controls.append(control)
        self._foreign_attributes(item, where)

    def _component(self, item: Any, where: str) -> tuple[str, dict[str, Any], str]:
        item = mapping(item, where)
        document = self.document
        ref = self._id(item, where, self.components.keys(), "component")
        name = self._name(item, where, "component", ComponentModel, "component")
        otm_type = text(item.get("type"), at(where, "type"))
        ours = self._ours(item, where)
        if ours.get("kind") in _COMPONENT_KINDS:
            kind = ours["kind"]
        elif otm_type:
            kind = _kind(otm_type)
        else:
            document.warn(where, f"The component “{name}” has no type; it is imported as a process.")
            kind = ComponentKind.PROCESS.value
        technology = ours.get("technology", otm_type)
        component = Component(
            ref=ref,
            name=name,
            kind=kind,
            description=self._description(item, where, ComponentModel),
            technology=fit(
                document,
                technology,
                limit(ComponentModel, "technology"),
                at(where, "type"),
                f"The type of “{name}”",
            ),
        )
        for tag in texts(item.get("tags"), at(where, "tags")):
            self._tag(component, tag, at(where, "tags"))
        component.assets = self._component_assets(item.get("assets"), at(where, "assets"), name)
        self.component_parents[ref] = self._parent(item.get("parent"), at(where, "parent"))
        self.components[ref] = component
        document.components.append(component)
        self._drop_representations(item, "components")
        self._foreign_attributes(item, where)
        return ref, item, where

    def _component_assets(self, value: Any, where: str, name: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, list):  # some files list the ids alone
            return self._asset_refs(value, where)
        kept = mapping(value, where)
        processed = self._asset_refs(kept.get("processed"), at(where, "processed"))
        stored = self._asset_refs(kept.get("stored"), at(where, "stored"))
        if stored:
            self.dropped.note("components", "which assets a component stores rather than processes", name)
        return list(dict.fromkeys([*processed, *stored]))

    def _asset_refs(self, value: Any, where: str) -> list[str]:
        refs = texts(value, where)
        for index, ref in enumerate(refs):
            if ref not in self.assets:
                raise InvalidModelFile(f"“{ref}” is not one of the file's assets.", at(where, index))
        return list(dict.fromkeys(refs))

    def _nest_zones(self) -> None:
        for ref, parent in self.zone_parents.items():
            if parent.kind != "component" and parent.ref in self.zones:
                self.zones[ref].parent = parent.ref
            elif parent.kind != "zone" and parent.ref in self.components:
                self.document.warn(
                    parent.where,
                    f"The trust zone “{self.zones[ref].name}” sits inside a component, which a zone cannot; it is "
                    "imported at the top level.",
                )
            elif parent.ref not in self.placeholders:
                raise InvalidModelFile(
                    f"The parent “{parent.ref}” is not one of the file's trust zones.", parent.where
                )
        for ref in self.zones:
            chain = [ref]
            while parent_ref := self.zones[chain[-1]].parent:
                if parent_ref in chain:
                    names = ", ".join(f"“{self.zones[r].name}”" for r in chain)
                    raise InvalidModelFile(
                        f"The trust zones {names} sit inside each other in a circle.",
                        self.zone_parents[ref].where,
                    )
                chain.append(parent_ref)

    def _place_components(self) -> None:
        """Each component in its zone; one inside other components in the zone of the outermost of them."""
        for ref, component in self.components.items():
            enclosing: list[str] = []  # innermost first
            parent = self.component_parents[ref]
            while parent is not None and self._is_component(parent):
                if parent.ref == ref or parent.ref in enclosing:
                    raise InvalidModelFile(
                        f"The component “{component.name}” sits inside itself through its parents.",
                        parent.where,
                    )
                enclosing.append(parent.ref)
                parent = self.component_parents[parent.ref]
            if parent is None:
                if not enclosing:
                    self.dropped.note(
                        "components",
                        "components without a parent (imported outside any zone)",
                        component.name,
                    )
            elif parent.ref in self.zones:
                component.zone = parent.ref
            elif parent.ref not in self.placeholders:
                raise InvalidModelFile(
                    f"The parent “{parent.ref}” is not one of the file's trust zones.", parent.where
                )
            if enclosing:
                inner = self.components[enclosing[0]]
                self._tag(component, f"part of {inner.name}", "")
                place = self.component_parents[ref]
                self.document.warn(
                    place.where if place else "",
                    f"The component “{component.name}” sits inside “{inner.name}”; it is imported as a component "
                    f"of its own in the same trust zone, tagged “part of {inner.name}”.",
                )

    def _is_component(self, parent: _Parent) -> bool:
        if parent.kind == "component":
            if parent.ref not in self.components:
                raise InvalidModelFile(
                    f"The parent “{parent.ref}” is not one of the file's components.", parent.where
                )
            return True
        return (
            parent.kind == "any"
            and parent.ref not in self.zones
            and parent.ref not in self.placeholders
            and parent.ref in self.components
        )

    def _flow(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        document = self.document
        flow_id = self._id(item, where, self.flow_ids, "data flow")
        self.flow_ids.add(flow_id)
        source = self._end(item, where, ("source", "from"), "source")
        destination = self._end(item, where, ("destination", "to", "target"), "destination")
        name = text(item.get("name"), at(where, "name")) or (
            f"{self.components[source].name} to {self.components[destination].name}"
        )
        name = fit(document, name, limit(FlowModel, "name"), at(where, "name"), "A data flow's name")
        if source == destination:
            document.warn(
                where, f"The data flow “{name}” goes from a component to itself; it is not imported."
            )
            self._instances(item.get("threats"), at(where, "threats"), "")
            return
        # A flow's ref is its id, unless a component has the same id: a threat's targets name either.
        ref = flow_id if flow_id not in self.components else f"flow:{flow_id}"
        ours = self._ours(item, where)
        flow = Flow(
            ref=ref,
            name=name,
            source=source,
            destination=destination,
            protocol=fit(
                document,
                ours.get("protocol", ""),
                limit(FlowModel, "protocol"),
                where,
                f"The protocol of “{name}”",
            ),
            data_carried=fit(
                document,
                ours.get("dataCarried", ""),
                limit(FlowModel, "data_carried"),
                where,
                f"The data carried by “{name}”",
            ),
            is_encrypted=ours.get("encrypted") == "true",
            is_authenticated=ours.get("authenticated") == "true",
            assets=self._asset_refs(item.get("assets"), at(where, "assets")),
        )
        if item.get("bidirectional") is True:
            document.warn(
                at(where, "bidirectional"),
                f"The data flow “{name}” goes both ways; it is imported as one flow from its source to its "
                "destination.",
            )
        if description := text(item.get("description"), at(where, "description")):
            document.notes.append(f"Data flow “{name}”: {description}")
            self.dropped.note("dataflows", "data flows' descriptions", name, noted=True)
        for tag in texts(item.get("tags"), at(where, "tags")):
            self.dropped.note("dataflows", "data flows' tags", tag)
        document.flows.append(flow)
        self._drop_representations(item, "dataflows")
        self._foreign_attributes(item, where)
        self._instances(item.get("threats"), at(where, "threats"), ref)

    def _end(self, item: dict[str, Any], where: str, keys: tuple[str, ...], what: str) -> str:
        key = next((key for key in keys if key in item), keys[0])
        ref = text(item.get(key), at(where, key), required=f"the flow's {what}")
        if ref not in self.components:
            raise InvalidModelFile(
                f"The flow's {what} “{ref}” is not one of the file's components.", at(where, key)
            )
        return ref

    def _instances(self, value: Any, where: str, target: str) -> None:
        """A component's or flow's threats, each with its state there and its mitigations with theirs."""
        for index, item in enumerate(sequence(value, where)):
            place = at(where, index)
            item = mapping(item, place)
            threat_id = text(item.get("threat"), at(place, "threat"), required="the threat's id")
            reading = self.threats.get(threat_id)
            if reading is None:
                raise InvalidModelFile(
                    f"“{threat_id}” is not one of the file's threats.", at(place, "threat")
                )
            if target and target not in reading.threat.targets:
                reading.threat.targets.append(target)
            if state := text(item.get("state"), at(place, "state")):
                reading.states.append(_Instance(state, at(place, "state")))
            mitigations_where = at(place, "mitigations")
            for number_, mitigation in enumerate(sequence(item.get("mitigations"), mitigations_where)):
                if mitigation is not None:
                    self._applied(mitigation, at(mitigations_where, number_), reading)

    def _applied(self, value: Any, where: str, threat: _ThreatReading) -> None:
        """One mitigation of a threat instance: a link, and a state towards the control's status."""
        item = mapping(value, where)
        ref = text(item.get("mitigation"), at(where, "mitigation"), required="the mitigation's id")
        reading = self.controls.get(ref)
        if reading is None:
            raise InvalidModelFile(f"“{ref}” is not one of the file's mitigations.", at(where, "mitigation"))
        state = text(item.get("state"), at(where, "state"))
        if _state(state) in _NOT_APPLIED_STATES:
            self.document.warn(
                at(where, "state"),
                f"The mitigation “{reading.control.title}” is “{state}” for threat “{threat.name}” here, so it is "
                "not linked to the threat for this.",
            )
            return
        if state:
            reading.states.append(_Instance(state, at(where, "state")))
        links = self.links.setdefault(threat.threat.ref, {})
        links.setdefault(
            ref, Link(threat=threat.threat.ref, control=ref, effectiveness=reading.risk_reduction)
        )

    # What the instances said, settled per threat and per control -------------------------------------------------

    def _settle_threats(self) -> None:
        for reading in self.threats.values():
            threat, ours = reading.threat, reading.ours
            if ours.get("status") in _THREAT_STATUSES:
                threat.status = ours["status"]
                place = at(at(reading.where, "attributes"), OURS + "statusReason")
                reason = ours.get("statusReason", "")
                threat.status_reason = fit(
                    self.document,
                    reason,
                    limit(ThreatModel, "status_reason"),
                    place,
                    "A threat's status reason",
                )
                if threat.status == ThreatStatus.REJECTED and not reason:
                    threat.status_reason = "Marked not applicable in the OTM file."
            else:
                self._threat_status(reading)
            if "links" in ours:
                self._our_links(reading)

    def _threat_status(self, reading: _ThreatReading) -> None:
        found: dict[str, _Instance] = {}
        for instance in reading.states:
            status = _THREAT_STATES.get(_state(instance.state))
            if status is None:
                self.document.warn(
                    instance.where,
                    f"The state “{instance.state}” of threat “{reading.name}” is not one we know; it counts as "
                    "identified.",
                )
                status = ThreatStatus.IDENTIFIED
            found.setdefault(status, instance)
        if not found:
            return
        status = next(status for status in _THREAT_STATUS_ORDER if status in found)
        if len(found) > 1:
            self.document.warn(
                reading.where,
                f"The threat “{reading.name}” has the states {_listing(found.values())} on different parts; it "
                f"is imported as {ThreatStatus(status).label.lower()}, the most open of them.",
            )
        reading.threat.status = str(status)
        if status == ThreatStatus.REJECTED:
            reading.threat.status_reason = f"Marked “{found[status].state}” in the OTM file."

    def _our_links(self, reading: _ThreatReading) -> None:
        """The links as our export wrote them, each with its own effectiveness, in place of the instances'."""
        ref = reading.threat.ref
        links = self.links[ref] = {}
        where = at(at(reading.where, "attributes"), OURS + "links")
        for pair in _json_list(reading.ours["links"], where):
            if (
                isinstance(pair, list)
                and len(pair) == 2
                and pair[0] in self.controls
                and isinstance(pair[1], int)
                and 0 <= pair[1] <= 100
            ):
                links[pair[0]] = Link(threat=ref, control=pair[0], effectiveness=pair[1])
            else:
                self.document.warn(where, f"The link {pair!r} is not one we can read; it is left out.")

    def _settle_controls(self) -> None:
        linked = {control for links in self.links.values() for control in links}
        for ref, reading in self.controls.items():
            if reading.ours.get("status") in _CONTROL_STATUSES:
                reading.control.status = reading.ours["status"]
            else:
                self._control_status(reading)
            if ref not in linked:
                self.document.warn(
                    reading.where,
                    f"The mitigation “{reading.control.title}” is not applied to any threat; it is imported as a "
                    "control without links.",
                )

    def _control_status(self, reading: _ControlReading) -> None:
        found: dict[str, _Instance] = {}
        for instance in reading.states:
            status = _MITIGATION_STATES.get(_state(instance.state))
            if status is None:
                self.document.warn(
                    instance.where,
                    f"The state “{instance.state}” of mitigation “{reading.control.title}” is not one we know; it "
                    "counts as proposed.",
                )
                status = ControlStatus.PROPOSED
            found.setdefault(status, instance)
        if not found:
            return
        status = next(status for status in _CONTROL_STATUS_ORDER if status in found)
        if len(found) > 1:
            self.document.warn(
                reading.where,
                f"The mitigation “{reading.control.title}” has the states {_listing(found.values())} in "
                f"different places; the control is imported as {ControlStatus(status).label.lower()}, the least "
                "advanced of them.",
            )
        reading.control.status = str(status)

    # Small readers -----------------------------------------------------------------------------------------------

    def _id(self, item: dict[str, Any], where: str, seen: Collection[str], what: str) -> str:
        ref = text(item.get("id"), at(where, "id"), required=f"the {what}'s id")
        if ref in seen:
            raise InvalidModelFile(f"Another {what} has the id “{ref}”.", at(where, "id"))
        return ref

    def _name(self, item: dict[str, Any], where: str, kind: str, model: type[models.Model], what: str) -> str:
        place = at(where, "name")
        name = text(item.get("name"), place, required=f"the {what}'s name")
        name = fit(self.document, name, limit(model, "name"), place, f"A {what}'s name")
        return self.names[kind].unique(name, place)

    def _description(self, item: dict[str, Any], where: str, model: type[models.Model]) -> str:
        place = at(where, "description")
        value = text(item.get("description"), place)
        return fit(self.document, value, limit(model, "description"), place, "A description")

    def _parent(self, value: Any, where: str) -> _Parent | None:
        if value is None or value == "":
            return None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return _Parent("any", str(value).strip(), where)
        parent = mapping(value, where)
        for key, kind in (("trustZone", "zone"), ("component", "component")):
            if key in parent:
                return _Parent(kind, text(parent[key], at(where, key), required="an id"), at(where, key))
        if "id" in parent:  # the spec's own example: {id, type: trustZone | component}
            kind = {"trustzone": "zone", "trust-zone": "zone", "component": "component"}.get(
                _state(text(parent.get("type"), at(where, "type"))), "any"
            )
            return _Parent(kind, text(parent["id"], at(where, "id"), required="an id"), at(where, "id"))
        raise InvalidModelFile("The parent names neither a trust zone nor a component.", where)

    def _tag(self, component: Component, tag: str, where: str) -> None:
        tag = tag[: limit(ComponentModel, "tags")]
        if tag in component.tags:
            return
        if len(component.tags) >= (most := items_limit(ComponentModel, "tags")):
            self.document.warn(
                where, f"The component “{component.name}” has more than {most} tags; “{tag}” is left out."
            )
            return
        component.tags.append(tag)

    def _ours(self, item: dict[str, Any], where: str) -> dict[str, str]:
        """The attributes our export wrote, without their prefix."""
        attributes = item.get("attributes")
        if not isinstance(attributes, dict):
            return {}
        return {
            key.removeprefix(OURS): text(value, at(at(where, "attributes"), key))
            for key, value in attributes.items()
            if isinstance(key, str) and key.startswith(OURS)
        }

    def _foreign_attributes(self, item: dict[str, Any], where: str) -> None:
        attributes = item.get("attributes")
        if isinstance(attributes, dict):
            keys = [str(key) for key in attributes if not str(key).startswith(OURS)]
        elif isinstance(attributes, list):  # the spec's example writes them as a list of one-key objects
            keys = [str(key) for entry in attributes if isinstance(entry, dict) for key in entry]
        else:
            keys = []
        if len(keys) == 1:
            self.document.warn(at(where, "attributes"), f"The attribute {keys[0]} is not kept.")
        elif keys:
            self.document.warn(at(where, "attributes"), f"The attributes {', '.join(keys)} are not kept.")

    def _drop_representations(self, item: dict[str, Any], section: str) -> None:
        if item.get("representations"):
            self.dropped.note(section, "where parts sit in diagrams and code (representations)", "")


def _listing(instances: Iterable[_Instance]) -> str:
    states = [f"“{instance.state}”" for instance in instances]
    return states[0] if len(states) == 1 else f"{', '.join(states[:-1])} and {states[-1]}"


def _json_list(value: str | None, where: str) -> list[Any]:
    if not value:
        return []
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError:
        loaded = None
    if not isinstance(loaded, list):
        raise InvalidModelFile(f"Expected a JSON list in this attribute, found {value!r}.", where)
    return loaded


# Export ------------------------------------------------------------------------------------------------------------

PLACEHOLDER_ZONE = "threatmodel-outside-any-zone"


def write(document: ModelDocument) -> dict[str, Any]:
    """The document as OTM 0.2, with what OTM has no field for in ``threatmodel.`` attributes."""
    component_refs = {component.ref for component in document.components}
    flow_refs = {flow.ref for flow in document.flows}
    instances: dict[str, list[dict[str, Any]]] = {}
    controls = {control.ref: control for control in document.controls}
    links_of: dict[str, list[Link]] = {}
    for link in document.links:
        links_of.setdefault(link.threat, []).append(link)
    for threat in document.threats:
        instance = {
            "threat": threat.ref,
            "state": _EXPORTED_THREAT_STATES[ThreatStatus(threat.status)],
            "mitigations": [
                {
                    "mitigation": link.control,
                    "state": _EXPORTED_MITIGATION_STATES[ControlStatus(controls[link.control].status)],
                }
                for link in links_of.get(threat.ref, [])
            ],
        }
        for target in threat.targets:
            if target in component_refs or target in flow_refs:
                instances.setdefault(target, []).append(instance)
    zones = [_written_zone(zone) for zone in document.zones]
    if any(not component.zone for component in document.components):
        zones.append(
            {
                "id": PLACEHOLDER_ZONE,
                "name": "Outside any trust zone",
                "description": "Holds the components that sit in no trust zone, since OTM gives each a parent.",
                "risk": {"trustRating": 0},
                "attributes": {OURS + "placeholder": "true"},
            }
        )
    return {
        "otmVersion": OTM_VERSION,
        "project": {
            "name": document.name,
            "id": slugify(document.name) or "project",
            "description": document.description or None,
        },
        "trustZones": zones,
        "assets": [_written_asset(asset) for asset in document.assets],
        "components": [
            _written_component(component, instances.get(component.ref, []))
            for component in document.components
        ],
        "dataflows": [_written_flow(flow, instances.get(flow.ref, [])) for flow in document.flows],
        "threats": [
            _written_threat(threat, document, links_of.get(threat.ref, [])) for threat in document.threats
        ],
        "mitigations": [_written_mitigation(control, document.links) for control in document.controls],
    }


def _written_zone(zone: Zone) -> dict[str, Any]:
    written: dict[str, Any] = {
        "id": zone.ref,
        "name": zone.name,
        "description": zone.description or None,
        "risk": {"trustRating": zone.trust_level * 25},
    }
    if zone.parent:
        written["parent"] = {"trustZone": zone.parent}
    return written


def _written_asset(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.ref,
        "name": asset.name,
        "description": asset.description or None,
        "risk": {
            "confidentiality": asset.confidentiality * 25,
            "integrity": asset.integrity * 25,
            "availability": asset.availability * 25,
        },
        "attributes": {OURS + "kind": asset.kind, OURS + "classification": asset.classification},
    }


def _written_component(component: Component, threats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": component.ref,
        "name": component.name,
        "type": component.technology or component.kind,
        "description": component.description or None,
        "parent": {"trustZone": component.zone or PLACEHOLDER_ZONE},
        "tags": list(component.tags),
        "assets": {"processed": list(component.assets), "stored": []},
        "threats": threats,
        "attributes": {OURS + "kind": component.kind, OURS + "technology": component.technology},
    }


def _written_flow(flow: Flow, threats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": flow.ref,
        "name": flow.name,
        "bidirectional": False,
        "source": flow.source,
        "destination": flow.destination,
        "assets": list(flow.assets),
        "threats": threats,
        "attributes": {
            OURS + "protocol": flow.protocol,
            OURS + "dataCarried": flow.data_carried,
            OURS + "encrypted": "true" if flow.is_encrypted else "false",
            OURS + "authenticated": "true" if flow.is_authenticated else "false",
        },
    }


def _written_threat(threat: Threat, document: ModelDocument, links: list[Link]) -> dict[str, Any]:
    asset_names = {asset.ref: asset.name for asset in document.assets}
    statement = threat_statement(
        threat_source=threat.threat_source,
        prerequisites=threat.prerequisites,
        threat_action=threat.threat_action,
        threat_impact=threat.threat_impact,
        impacted_goals=[Goal(goal).label.lower() for goal in threat.impacted_goals],
        impacted_assets=[asset_names[ref] for ref in threat.assets if ref in asset_names],
    )
    return {
        "id": threat.ref,
        "name": threat.threat_action,
        "description": statement,
        "categories": [Stride(letter).label for letter in threat.stride],
        "risk": {
            "likelihood": _LIKELIHOOD_VALUES[LikelihoodLevel(threat.likelihood)]
            if threat.likelihood
            else None,
            "impact": 50,
            "impactComment": "Not rated on the threat: impact is assessed on the business risks it leads to.",
        },
        "attributes": {
            OURS + "threatSource": threat.threat_source,
            OURS + "prerequisites": threat.prerequisites,
            OURS + "threatAction": threat.threat_action,
            OURS + "threatImpact": threat.threat_impact,
            OURS + "impactedGoals": json.dumps(threat.impacted_goals),
            OURS + "impactedAssets": json.dumps(threat.assets),
            OURS + "status": threat.status,
            OURS + "statusReason": threat.status_reason,
            OURS + "links": json.dumps([[link.control, link.effectiveness] for link in links]),
        },
    }


def _written_mitigation(control: Control, links: list[Link]) -> dict[str, Any]:
    """OTM has one risk reduction per mitigation: the commonest effectiveness of its links (each link's own
    travels with its threat)."""
    effectiveness = Counter(link.effectiveness for link in links if link.control == control.ref)
    return {
        "id": control.ref,
        "name": control.title,
        "description": control.description or None,
        "riskReduction": effectiveness.most_common(1)[0][0] if effectiveness else 50,
        "attributes": {
            OURS + "kind": control.kind,
            OURS + "status": control.status,
            OURS + "ticketUrl": control.ticket_url,
        },
    }

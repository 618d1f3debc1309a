"""Threagile models (YAML, with its anchors and merge keys) read into a project.

Threagile describes the architecture and finds most risks itself by running its rules; the file holds only the
risks a person identified (``individual_risk_categories``) and how risks are tracked. So the import brings the
architecture and those risks, and says that the rules' risks are Threagile's to find.

How each Threagile field lands in the project (decided once, here):

- ``title`` is the project's name; the business and technical overviews make its description; the management
  summary, questions, abuse cases and security requirements are kept in the notes, with a warning each.
- ``data_assets`` become assets: confidentiality public → public/low, internal → internal/medium, restricted →
  confidential/high, confidential → confidential/high, strictly-confidential → restricted/critical
  (classification/rating); integrity and availability archive → low, operational → medium, important → high,
  critical and mission-critical → critical. The CIA justification goes to the notes.
- ``technical_assets`` become components: type ``datastore`` → data store, ``process`` → process,
  ``external-entity`` → actor when a human uses it as a client (``used_as_client_by_human``, or a browser,
  desktop, mobile app or devops client), else external service. ``technology`` and ``tags`` are kept; an
  asset ``out_of_scope`` stays in the project, tagged “out of scope”, with its justification in a warning and the
  notes. Data assets processed and stored together become its assets.
- ``trust_boundaries`` become trust zones (Threagile rates no trust, so each is medium); ``technical_assets_inside``
  places components, ``trust_boundaries_nested`` nests zones.
- ``communication_links`` become data flows from the asset holding them to its ``target``: the protocol is kept, a
  flow is encrypted when its protocol is one Threagile counts as encrypted (https, ssh, ldaps, …), authenticated
  when ``authentication`` is anything but none; the data assets sent and received become its assets, and which
  way each goes its “data carried”.
- each risk in ``risks_identified`` becomes a threat: “An attacker can <risk title>: <category description>”,
  which leads to the category's ``impact``; STRIDE from the category's ``stride``; likelihood from
  ``exploitation_likelihood`` (unlikely → low, likely → moderate, very-likely → high, frequent → very high); its
  targets are the most relevant technical asset and communication link and the data-breach assets; the most
  relevant data asset is the asset it impacts. Severity and exploitation impact are warned about: impact
  belongs to the business risks a threat leads to.
- a category's ``mitigation`` becomes one control (titled by its ``action``) linked to each of its risks; it is
  implemented when every one of them is tracked as mitigated, in progress when one is in progress, else
  proposed.
- ``risk_tracking`` gives a risk its status by its id (category@asset@link@boundary@runtime@data), exact ids
  before patterns with ``*``: unchecked → identified, in-discussion → in review, accepted → accepted,
  in-progress → confirmed, mitigated → mitigated, false-positive → rejected; the justification, ticket, date
  and checker are the status's reason. Tracking of risks the file does not hold (those Threagile's rules find)
  is kept in the notes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from projects.models import Asset as AssetModel
from projects.models import Component as ComponentModel
from projects.models import (
    ComponentKind,
    ControlStatus,
    DataClassification,
    LikelihoodLevel,
    Project,
    Rating,
    Stride,
    ThreatStatus,
    TrustLevel,
)
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
    flag,
    items_limit,
    kind_of,
    limit,
    mapping,
    sequence,
    text,
    texts,
)

FORMAT = "threagile"
LABEL = "Threagile"
THREAT_SOURCE = "attacker"
OUT_OF_SCOPE_TAG = "out of scope"

_CLASSIFICATIONS = {
    "public": (DataClassification.PUBLIC, Rating.LOW),
    "internal": (DataClassification.INTERNAL, Rating.MEDIUM),
    "restricted": (DataClassification.CONFIDENTIAL, Rating.HIGH),
    "confidential": (DataClassification.CONFIDENTIAL, Rating.HIGH),
    "strictly-confidential": (DataClassification.RESTRICTED, Rating.CRITICAL),
}
_CRITICALITIES = {
    "archive": Rating.LOW,
    "operational": Rating.MEDIUM,
    "important": Rating.HIGH,
    "critical": Rating.CRITICAL,
    "mission-critical": Rating.CRITICAL,
}
_CLIENT_TECHNOLOGIES = frozenset({"browser", "desktop", "mobile-app", "devops-client", "client-system"})
# The protocols Threagile itself counts as encrypted (Protocol.IsEncrypted).
_ENCRYPTED_PROTOCOLS = frozenset(
    [
        "https",
        "wss",
        "jdbc-encrypted",
        "odbc-encrypted",
        "nosql-access-protocol-encrypted",
        "sql-access-protocol-encrypted",
        "binary-encrypted",
        "text-encrypted",
        "ssh",
        "ssh-tunnel",
        "ftps",
        "sftp",
        "scp",
        "ldaps",
        "reverse-proxy-web-protocol-encrypted",
        "iiop-encrypted",
        "jrmp-encrypted",
        "smb-encrypted",
        "smtp-encrypted",
        "pop3-encrypted",
        "imap-encrypted",
    ]
)
_STRIDE = {
    "spoofing": Stride.SPOOFING,
    "tampering": Stride.TAMPERING,
    "repudiation": Stride.REPUDIATION,
    "information-disclosure": Stride.INFORMATION_DISCLOSURE,
    "denial-of-service": Stride.DENIAL_OF_SERVICE,
    "elevation-of-privilege": Stride.ELEVATION_OF_PRIVILEGE,
}
_LIKELIHOODS = {
    "unlikely": LikelihoodLevel.LOW,
    "likely": LikelihoodLevel.MODERATE,
    "very-likely": LikelihoodLevel.HIGH,
    "frequent": LikelihoodLevel.VERY_HIGH,
}
_TRACKING = {
    "unchecked": ThreatStatus.IDENTIFIED,
    "in-discussion": ThreatStatus.IN_REVIEW,
    "accepted": ThreatStatus.ACCEPTED,
    "in-progress": ThreatStatus.CONFIRMED,
    "mitigated": ThreatStatus.MITIGATED,
    "false-positive": ThreatStatus.REJECTED,
}

# Top-level keys that hold nothing the project could keep, and the parts whose fields have no home here.
_QUIET_KEYS = frozenset({"threagile_version", "includes", "tags_available"})
_DROPPED_ASSET_FIELDS = ("usage", "origin", "owner", "quantity", "tags")
_DROPPED_COMPONENT_FIELDS = tuple(
    [
        "usage",
        "size",
        "machine",
        "internet",
        "encryption",
        "owner",
        "confidentiality",
        "integrity",
        "availability",
        "multi_tenant",
        "redundant",
        "custom_developed_parts",
        "data_formats_accepted",
    ]
)
_DROPPED_LINK_FIELDS = ("authorization", "vpn", "ip_filtered", "readonly", "usage", "tags")
_CATEGORY_NOTES = (
    ("function", "Function"),
    ("check", "Check"),
    ("detection_logic", "Detection logic"),
    ("risk_assessment", "Risk assessment"),
    ("false_positives", "False positives"),
    ("cwe", "CWE"),
)


def recognises(data: Any) -> bool:
    return isinstance(data, dict) and (
        "threagile_version" in data or isinstance(data.get("technical_assets"), dict)
    )


def read(data: Any) -> ModelDocument:
    return _Reader(data).read()


def _plain(value: str) -> str:
    """Threagile's texts are HTML fragments for its report: the text without the tags."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", value)).split())


def flow_ref(source: str, title: str) -> str:
    """Threagile's own id of a communication link (createDataFlowId), which risks and tracking name."""
    return source + ">" + re.sub(r"[^A-Za-z0-9]+", "-", title.lower()).strip("- ")


def _tracking_pattern(risk_id: str) -> re.Pattern[str]:
    """A tracking id with ``*`` as a pattern: each ``*`` stands for one @-separated part."""
    return re.compile("[^@]+".join(re.escape(part) for part in risk_id.split("*")))


@dataclass
class _Tracking:
    risk_id: str
    status: str  # Threagile's
    reason: str
    where: str
    used: bool = False


@dataclass
class _Category:
    ref: str
    title: str
    control: Control | None
    threats: list[Threat] = field(default_factory=list)
    tracked: list[str] = field(default_factory=list)  # Threagile statuses of its risks


class _Reader:
    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise InvalidModelFile(f"A Threagile model holds an object; this one holds {kind_of(data)}.")
        self.root = mapping(data, "")
        self.document = ModelDocument(format=FORMAT, name="")
        self.assets: dict[str, Asset] = {}
        self.components: dict[str, Component] = {}
        self.component_places: dict[str, str] = {}  # where each technical asset is, by id
        self.zones: dict[str, Zone] = {}
        self.flows: dict[str, Flow] = {}
        self.tracking: list[_Tracking] = []
        self.tracking_by_id: dict[str, _Tracking] = {}
        self.tracking_patterns: list[tuple[re.Pattern[str], _Tracking]] = []
        self.threat_ids: set[str] = set()
        # Fields of a kind of part that the project does not keep: (section, field) -> the parts that had them.
        self.dropped = Dropped(self.document)

    def read(self) -> ModelDocument:
        root = self.root
        self._overview()
        check_size(self._parts())
        for title, item in mapping(root.get("data_assets"), "data_assets", optional=True).items():
            self._data_asset(title, item, at("data_assets", title))
        technical = mapping(root.get("technical_assets"), "technical_assets", optional=True)
        for title, item in technical.items():
            self._technical_asset(title, item, at("technical_assets", title))
        for title, item in technical.items():
            self._links(title, mapping(item, at("technical_assets", title)), at("technical_assets", title))
        self._boundaries(mapping(root.get("trust_boundaries"), "trust_boundaries", optional=True))
        self._shared_runtimes()
        self._read_tracking()
        self._risks()
        self._unused_tracking()
        self.dropped.report()
        document = self.document
        check_size(sum(document.counts().values()) + len(document.links))
        if not document.components and not document.threats:
            raise InvalidModelFile(
                "The model has no technical assets and no identified risks, so there is nothing to import."
            )
        return document

    def _parts(self) -> int:
        """How many parts the file holds, counted before any is read, links and risks included."""
        root = self.root

        def size(value: Any) -> int:
            return len(value) if isinstance(value, dict) else 0

        nested = [
            size(item.get(key))
            for section, key in (
                ("technical_assets", "communication_links"),
                ("individual_risk_categories", "risks_identified"),
            )
            if isinstance(root.get(section), dict)
            for item in root[section].values()
            if isinstance(item, dict)
        ]
        return sum(
            size(root.get(key)) for key in ("data_assets", "technical_assets", "trust_boundaries")
        ) + sum(nested)

    # The model as a whole -------------------------------------------------------------------------------------------

    def _overview(self) -> None:
        root, document = self.root, self.document
        document.name = fit(
            document,
            text(root.get("title"), "title", required="the model's title"),
            limit(Project, "name"),
            "title",
            "The model's title",
        )
        overviews = []
        for key, heading in (
            ("business_overview", "Business overview"),
            ("technical_overview", "Technical overview"),
        ):
            overview = mapping(root.get(key), key, optional=True)
            if description := _plain(text(overview.get("description"), at(key, "description"))):
                overviews.append(f"{heading}: {description}")
            if images := sequence(overview.get("images"), at(key, "images")):
                document.warn(
                    at(key, "images"), f"The {heading.lower()}'s {len(images)} images are not kept."
                )
        document.description = fit(
            document,
            "\n\n".join(overviews),
            limit(Project, "description"),
            "business_overview",
            "The model's overviews",
        )
        if summary := _plain(text(root.get("management_summary_comment"), "management_summary_comment")):
            document.notes.append(f"Management summary: {summary}")
            document.warn(
                "management_summary_comment", "The management summary is kept in the project's notes."
            )
        for key, what, whats in (
            ("questions", "Question", "questions"),
            ("abuse_cases", "Abuse case", "abuse cases"),
            ("security_requirements", "Security requirement", "security requirements"),
        ):
            entries = mapping(root.get(key), key, optional=True)
            for title, value in entries.items():
                content = _plain(text(value, at(key, title)))
                if key == "questions" and not content:
                    content = "(unanswered)"
                document.notes.append(f"{what} “{_plain(title)}”: {content}".removesuffix(": "))
            if len(entries) == 1:
                document.warn(key, f"The model's one {what.lower()} is kept in the notes.")
            elif entries:
                document.warn(key, f"The model's {len(entries)} {whats} are kept in the notes.")
        for key in ("author", "contributors", "date", "business_criticality"):
            if root.get(key) not in (None, "", [], {}):
                self.dropped.note("", key.replace("_", " "), "")
        known = {
            "title",
            "business_overview",
            "technical_overview",
            "management_summary_comment",
            "questions",
            "abuse_cases",
            "security_requirements",
            "author",
            "contributors",
            "date",
            "business_criticality",
            "data_assets",
            "technical_assets",
            "trust_boundaries",
            "shared_runtimes",
            "individual_risk_categories",
            "risk_tracking",
        }
        for key in root:
            if key.startswith("diagram_tweak"):
                self.dropped.note("", "diagram layout settings", key)
            elif key not in known and key not in _QUIET_KEYS:
                self.dropped.note("", "top-level keys we do not read", key)

    # Architecture ----------------------------------------------------------------------------------------------------

    def _data_asset(self, title: str, value: Any, where: str) -> None:
        item = mapping(value, where)
        document = self.document
        ref = self._id(item, where, self.assets, "data asset")
        name = fit(document, title, limit(AssetModel, "name"), where, "A data asset's title")
        asset = Asset(
            ref=ref,
            name=name,
            description=fit(
                document,
                _plain(text(item.get("description"), at(where, "description"))),
                limit(AssetModel, "description"),
                at(where, "description"),
                f"The description of “{name}”",
            ),
        )
        confidentiality = text(item.get("confidentiality"), at(where, "confidentiality"))
        if confidentiality in _CLASSIFICATIONS:
            classification, rating = _CLASSIFICATIONS[confidentiality]
            asset.classification, asset.confidentiality = classification.value, int(rating)
        else:
            self._unknown_value(where, "confidentiality", confidentiality, "internal and medium")
        for goal in ("integrity", "availability"):
            criticality = text(item.get(goal), at(where, goal))
            if criticality in _CRITICALITIES:
                setattr(asset, goal, int(_CRITICALITIES[criticality]))
            else:
                self._unknown_value(where, goal, criticality, "medium")
        self._justification(item, where, f"Data asset “{name}”")
        self._drop_fields(item, "data_assets", _DROPPED_ASSET_FIELDS, name)
        self.assets[ref] = asset
        document.assets.append(asset)

    def _technical_asset(self, title: str, value: Any, where: str) -> None:
        item = mapping(value, where)
        document = self.document
        ref = self._id(item, where, self.components, "technical asset")
        name = fit(document, title, limit(ComponentModel, "name"), where, "A technical asset's title")
        technology = text(item.get("technology"), at(where, "technology"))
        component = Component(
            ref=ref,
            name=name,
            kind=self._kind(item, where, name, technology),
            description=fit(
                document,
                _plain(text(item.get("description"), at(where, "description"))),
                limit(ComponentModel, "description"),
                at(where, "description"),
                f"The description of “{name}”",
            ),
            technology=fit(
                document,
                technology,
                limit(ComponentModel, "technology"),
                at(where, "technology"),
                f"The technology of “{name}”",
            ),
        )
        for tag in texts(item.get("tags"), at(where, "tags")):
            self._tag(component, tag, at(where, "tags"))
        if flag(item.get("out_of_scope"), at(where, "out_of_scope")):
            self._tag(component, OUT_OF_SCOPE_TAG, at(where, "out_of_scope"))
            justification = _plain(
                text(item.get("justification_out_of_scope"), at(where, "justification_out_of_scope"))
            )
            document.warn(
                at(where, "out_of_scope"),
                f"“{name}” is out of scope"
                + (f" ({justification})" if justification else "")
                + f"; it is imported tagged “{OUT_OF_SCOPE_TAG}”.",
            )
            if justification:
                document.notes.append(f"Technical asset “{name}” is out of scope: {justification}")
        stored = self._asset_refs(item.get("data_assets_stored"), at(where, "data_assets_stored"))
        processed = self._asset_refs(item.get("data_assets_processed"), at(where, "data_assets_processed"))
        component.assets = list(dict.fromkeys([*processed, *stored]))
        if stored:
            self.dropped.note("technical_assets", "which data assets are stored rather than processed", name)
        self._justification(item, where, f"Technical asset “{name}”")
        self._drop_fields(item, "technical_assets", _DROPPED_COMPONENT_FIELDS, name)
        self.components[ref] = component
        self.component_places[ref] = where
        document.components.append(component)

    def _kind(self, item: dict[str, Any], where: str, name: str, technology: str) -> str:
        asset_type = text(item.get("type"), at(where, "type"))
        if asset_type == "datastore":
            return ComponentKind.DATA_STORE.value
        if asset_type == "external-entity":
            human = flag(item.get("used_as_client_by_human"), at(where, "used_as_client_by_human"))
            client = human or technology in _CLIENT_TECHNOLOGIES
            return (ComponentKind.ACTOR if client else ComponentKind.EXTERNAL_SERVICE).value
        if not asset_type:
            self.document.warn(where, f"“{name}” has no type; it is imported as a process.")
        elif asset_type != "process":
            self._unknown_value(where, "type", asset_type, "process")
        return ComponentKind.PROCESS.value

    def _links(self, title: str, item: dict[str, Any], where: str) -> None:
        source = text(item.get("id"), at(where, "id"))
        place = at(where, "communication_links")
        for link_title, value in mapping(item.get("communication_links"), place, optional=True).items():
            self._link(source, link_title, value, at(place, link_title))

    def _link(self, source: str, title: str, value: Any, where: str) -> None:
        item = mapping(value, where)
        document = self.document
        target = text(item.get("target"), at(where, "target"), required="the link's target")
        if target not in self.components:
            raise InvalidModelFile(
                f"The target “{target}” is not one of the technical assets.", at(where, "target")
            )
        name = fit(document, title, limit(FlowModel, "name"), where, "A communication link's title")
        if target == source:
            document.warn(
                where, f"The link “{name}” goes from a technical asset to itself; it is not imported."
            )
            return
        ref = flow_ref(source, title)
        if ref in self.flows:
            raise InvalidModelFile(f"Another link of this asset has the same id “{ref}”.", where)
        protocol = text(item.get("protocol"), at(where, "protocol"))
        authentication = text(item.get("authentication"), at(where, "authentication"))
        sent = self._asset_refs(item.get("data_assets_sent"), at(where, "data_assets_sent"))
        received = self._asset_refs(item.get("data_assets_received"), at(where, "data_assets_received"))
        carried = " ".join(
            f"{verb}: {', '.join(self.assets[ref].name for ref in refs)}."
            for verb, refs in (("Sends", sent), ("Receives", received))
            if refs
        )
        flow = Flow(
            ref=ref,
            name=name,
            source=source,
            destination=target,
            protocol=fit(
                document, protocol, limit(FlowModel, "protocol"), at(where, "protocol"), "A protocol"
            ),
            data_carried=fit(
                document, carried, limit(FlowModel, "data_carried"), where, f"The data carried by “{name}”"
            ),
            is_encrypted=protocol in _ENCRYPTED_PROTOCOLS,
            is_authenticated=authentication not in ("", "none"),
            assets=list(dict.fromkeys([*sent, *received])),
        )
        description = _plain(text(item.get("description"), at(where, "description")))
        if description and description != title:
            document.notes.append(f"Data flow “{name}” ({source} to {target}): {description}")
            self.dropped.note("communication_links", "descriptions", name, noted=True)
        self._drop_fields(item, "communication_links", _DROPPED_LINK_FIELDS, name)
        self.flows[ref] = flow
        document.flows.append(flow)

    def _boundaries(self, boundaries: dict[str, Any]) -> None:
        document = self.document
        nested: dict[str, tuple[str, str]] = {}  # child zone -> (parent zone, where)
        names = Names(document, "trust boundary")
        items = []
        for title, value in boundaries.items():
            where = at("trust_boundaries", title)
            item = mapping(value, where)
            ref = self._id(item, where, self.zones, "trust boundary")
            name = fit(document, title, limit(ZoneModel, "name"), where, "A trust boundary's title")
            name = names.unique(name, where)
            self.zones[ref] = zone = Zone(
                ref=ref,
                name=name,
                trust_level=int(TrustLevel.MEDIUM),
                description=fit(
                    document,
                    _plain(text(item.get("description"), at(where, "description"))),
                    limit(ZoneModel, "description"),
                    at(where, "description"),
                    f"The description of “{name}”",
                ),
            )
            document.zones.append(zone)
            self._drop_fields(item, "trust_boundaries", ("type", "tags"), name)
            items.append((ref, item, where))
        if self.zones:
            document.warn(
                "trust_boundaries",
                "Threagile rates no trust in its boundaries; every zone is imported as medium.",
            )
        for ref, item, where in items:
            place = at(where, "technical_assets_inside")
            for index, asset in enumerate(texts(item.get("technical_assets_inside"), place)):
                component = self.components.get(asset)
                if component is None:
                    raise InvalidModelFile(f"“{asset}” is not one of the technical assets.", at(place, index))
                if component.zone:
                    document.warn(
                        at(place, index),
                        f"“{component.name}” is already inside “{self.zones[component.zone].name}”; it stays there.",
                    )
                else:
                    component.zone = ref
            place = at(where, "trust_boundaries_nested")
            for index, child in enumerate(texts(item.get("trust_boundaries_nested"), place)):
                if child not in self.zones:
                    raise InvalidModelFile(f"“{child}” is not one of the trust boundaries.", at(place, index))
                if child in nested:
                    document.warn(
                        at(place, index),
                        f"“{self.zones[child].name}” is already nested in "
                        f"“{self.zones[nested[child][0]].name}”; it stays there.",
                    )
                    continue
                nested[child] = (ref, at(place, index))
                self.zones[child].parent = ref
        for ref in self.zones:
            chain = [ref]
            while parent := self.zones[chain[-1]].parent:
                if parent in chain:
                    circle = ", ".join(f"“{self.zones[r].name}”" for r in chain)
                    raise InvalidModelFile(
                        f"The trust boundaries {circle} are nested in a circle.", nested[ref][1]
                    )
                chain.append(parent)

    def _shared_runtimes(self) -> None:
        runtimes = mapping(self.root.get("shared_runtimes"), "shared_runtimes", optional=True)
        for title, value in runtimes.items():
            where = at("shared_runtimes", title)
            item = mapping(value, where)
            running = texts(item.get("technical_assets_running"), at(where, "technical_assets_running"))
            names = [self.components[ref].name if ref in self.components else ref for ref in running]
            description = _plain(text(item.get("description"), at(where, "description")))
            self.document.notes.append(
                f"Shared runtime “{title}”"
                + (f" ({description})" if description and description != title else "")
                + (f" runs {', '.join(names)}." if names else ".")
            )
        if runtimes:
            self.document.warn(
                "shared_runtimes",
                "Shared runtimes have no place in the project; which technical assets each one runs is kept in "
                "the notes.",
            )

    # Risks ---------------------------------------------------------------------------------------------------------

    def _read_tracking(self) -> None:
        for risk_id, value in mapping(self.root.get("risk_tracking"), "risk_tracking", optional=True).items():
            where = at("risk_tracking", risk_id)
            item = mapping(value, where)
            status = text(item.get("status"), at(where, "status")) or "unchecked"
            if status not in _TRACKING:
                self.document.warn(
                    at(where, "status"),
                    f"The tracking status “{status}” is not one we know; it counts as unchecked.",
                )
                status = "unchecked"
            justification = _plain(text(item.get("justification"), at(where, "justification")))
            details = [
                f"{label} {detail}"
                for key, label in (("ticket", "ticket"), ("checked_by", "checked by"), ("date", "on"))
                if (detail := text(item.get(key), at(where, key)))
            ]
            reason = justification + (f" ({', '.join(details)})" if details else "")
            tracking = _Tracking(risk_id.strip(), status, reason.strip(), where)
            self.tracking.append(tracking)
            if "*" in tracking.risk_id:
                self.tracking_patterns.append((_tracking_pattern(tracking.risk_id), tracking))
            else:
                self.tracking_by_id.setdefault(tracking.risk_id, tracking)

    def _tracking_of(self, risk_id: str) -> _Tracking | None:
        """The tracking of a risk: by its exact id, else the first pattern that matches it (as Threagile does)."""
        if (tracking := self.tracking_by_id.get(risk_id)) is not None:
            return tracking
        return next(
            (tracking for pattern, tracking in self.tracking_patterns if pattern.fullmatch(risk_id)), None
        )

    def _risks(self) -> None:
        categories = mapping(
            self.root.get("individual_risk_categories"), "individual_risk_categories", optional=True
        )
        seen: set[str] = set()
        for title, value in categories.items():
            where = at("individual_risk_categories", title)
            item = mapping(value, where)
            category_id = text(item.get("id"), at(where, "id"), required="the risk category's id")
            if category_id in seen:
                raise InvalidModelFile(f"Another risk category has the id “{category_id}”.", at(where, "id"))
            seen.add(category_id)
            category = _Category(
                ref=category_id, title=title, control=self._category_control(category_id, title, item, where)
            )
            self._category_notes(title, item, where)
            risks_where = at(where, "risks_identified")
            for risk_title, risk in mapping(item.get("risks_identified"), risks_where, optional=True).items():
                self._risk(category, item, where, risk_title, risk, at(risks_where, risk_title))
            if category.control is not None:
                self._settle_control(category)

    def _category_control(self, ref: str, title: str, item: dict[str, Any], where: str) -> Control | None:
        document = self.document
        mitigation = _plain(text(item.get("mitigation"), at(where, "mitigation")))
        action = _plain(text(item.get("action"), at(where, "action")))
        if not mitigation and not action:
            return None
        references = [
            f"{label}: {value}"
            for key, label in (("asvs", "ASVS"), ("cheat_sheet", "Cheat sheet"))
            if (value := text(item.get(key), at(where, key)))
        ]
        description = "\n\n".join(part for part in (mitigation, "\n".join(references)) if part)
        control = Control(
            ref=ref,
            title=fit(
                document,
                action or f"Mitigation of {_plain(title)}",
                limit(ControlModel, "title"),
                at(where, "action"),
                "A risk category's action",
            ),
            description=fit(
                document,
                description,
                limit(ControlModel, "description"),
                at(where, "mitigation"),
                f"The mitigation of “{title}”",
            ),
        )
        document.controls.append(control)
        return control

    def _category_notes(self, title: str, item: dict[str, Any], where: str) -> None:
        details = [
            f"{label}: {value}"
            for key, label in _CATEGORY_NOTES
            if (value := _plain(text(item.get(key), at(where, key))))
        ]
        if details:
            self.document.notes.append(
                f"Risk category “{_plain(title)}”. "
                + " ".join(detail if detail[-1] in ".?!" else f"{detail}." for detail in details)
            )
            self.dropped.note(
                "individual_risk_categories",
                "checks, detection logic and the like",
                _plain(title),
                noted=True,
            )

    def _risk(
        self,
        category: _Category,
        category_item: dict[str, Any],
        category_where: str,
        title: str,
        value: Any,
        where: str,
    ) -> None:
        item = mapping(value, where)
        document = self.document
        name = _plain(title)
        description = _plain(text(category_item.get("description"), at(category_where, "description")))
        action = f"{name}: {description}" if description and description != category.title else name
        impact = _plain(text(category_item.get("impact"), at(category_where, "impact")))
        threat = Threat(
            ref="",
            threat_source=THREAT_SOURCE,
            threat_action=fit(document, action, limit(ThreatModel, "threat_action"), where, f"Risk “{name}”"),
            threat_impact=fit(
                document,
                impact,
                limit(ThreatModel, "threat_impact"),
                at(category_where, "impact"),
                f"The impact of “{category.title}”",
            ),
        )
        stride = text(category_item.get("stride"), at(category_where, "stride"))
        if stride in _STRIDE:
            threat.stride = [_STRIDE[stride].value]
        elif stride:
            self._unknown_value(category_where, "stride", stride, "no STRIDE category")
        likelihood = text(item.get("exploitation_likelihood"), at(where, "exploitation_likelihood"))
        if likelihood in _LIKELIHOODS:
            threat.likelihood = _LIKELIHOODS[likelihood].value
        elif likelihood:
            self._unknown_value(where, "exploitation_likelihood", likelihood, "no likelihood")
        # The risk's id, as Threagile makes it from the category and the most relevant parts.
        parts = {
            key: text(item.get(f"most_relevant_{key}"), at(where, f"most_relevant_{key}"))
            for key in (
                "technical_asset",
                "communication_link",
                "trust_boundary",
                "shared_runtime",
                "data_asset",
            )
        }
        risk_id = "@".join([category.ref, *(part for part in parts.values() if part)])
        threat.ref, counter = risk_id, 1
        while (
            threat.ref in self.threat_ids
        ):  # two risks on the same parts: Threagile's ids clash, ours may not
            counter += 1
            threat.ref = f"{risk_id}#{counter}"
        self.threat_ids.add(threat.ref)
        self._targets(threat, item, parts, where)
        for key in ("trust_boundary", "shared_runtime"):
            if parts[key]:
                document.warn(
                    at(where, f"most_relevant_{key}"),
                    f"A threat targets components and flows; its most relevant {key.replace('_', ' ')} "
                    f"“{parts[key]}” is not kept.",
                )
        rated = [
            f"{label} {rating}"
            for key, label in (
                ("severity", "severity"),
                ("exploitation_impact", "exploitation impact"),
                ("data_breach_probability", "data breach probability"),
            )
            if (rating := text(item.get(key), at(where, key)))
        ]
        if rated:
            document.warn(
                where,
                f"The risk's {', '.join(rated)} are not kept: impact is rated on the business risks a threat "
                "leads to.",
            )
        tracking = self._tracking_of(risk_id)
        tracked = tracking.status if tracking else "unchecked"
        threat.status = _TRACKING[tracked].value
        if tracking:
            tracking.used = True
            threat.status_reason = tracking.reason
        if threat.status == ThreatStatus.REJECTED and not threat.status_reason:
            threat.status_reason = "Marked a false positive in Threagile."
        category.threats.append(threat)
        category.tracked.append(tracked)
        document.threats.append(threat)
        if category.control is not None:
            document.links.append(Link(threat=threat.ref, control=category.control.ref))

    def _targets(self, threat: Threat, item: dict[str, Any], parts: dict[str, str], where: str) -> None:
        components = []
        if parts["technical_asset"]:
            components.append((parts["technical_asset"], at(where, "most_relevant_technical_asset")))
        place = at(where, "data_breach_technical_assets")
        components += [
            (ref, at(place, index))
            for index, ref in enumerate(texts(item.get("data_breach_technical_assets"), place))
        ]
        for ref, spot in components:
            if ref not in self.components:
                raise InvalidModelFile(f"“{ref}” is not one of the technical assets.", spot)
            if ref not in threat.targets:
                threat.targets.append(ref)
        if link := parts["communication_link"]:
            if link not in self.flows:
                raise InvalidModelFile(
                    f"“{link}” is not one of the communication links (their ids read source-asset>link-title).",
                    at(where, "most_relevant_communication_link"),
                )
            threat.targets.append(link)
        if asset := parts["data_asset"]:
            if asset not in self.assets:
                raise InvalidModelFile(
                    f"“{asset}” is not one of the data assets.", at(where, "most_relevant_data_asset")
                )
            threat.assets = [asset]

    def _settle_control(self, category: _Category) -> None:
        assert category.control is not None
        if category.tracked and all(status == "mitigated" for status in category.tracked):
            category.control.status = ControlStatus.IMPLEMENTED.value
        elif "in-progress" in category.tracked:
            category.control.status = ControlStatus.IN_PROGRESS.value

    def _unused_tracking(self) -> None:
        unused = [tracking for tracking in self.tracking if not tracking.used]
        for tracking in unused:
            self.document.notes.append(
                f"Risk tracking “{tracking.risk_id}”: {tracking.status}"
                + (f", {tracking.reason}" if tracking.reason else "")
            )
        if unused:
            ids = ", ".join(tracking.risk_id for tracking in unused)
            entries = (
                f"{len(unused)} risk-tracking entries ({ids}) are"
                if len(unused) > 1
                else f"The risk tracking {ids} is"
            )
            self.document.warn(
                "risk_tracking",
                f"{entries} for risks that Threagile's rules find, which the file does not hold; kept in the notes.",
            )
        if "technical_assets" in self.root:
            self.document.warn(
                "",
                "Threagile's built-in risk rules are not run here; only the individually identified risks are imported.",
            )

    # Small readers --------------------------------------------------------------------------------------------------

    def _id(self, item: dict[str, Any], where: str, seen: dict[str, Any], what: str) -> str:
        ref = text(item.get("id"), at(where, "id"), required=f"the {what}'s id")
        if ref in seen:
            raise InvalidModelFile(f"Another {what} has the id “{ref}”.", at(where, "id"))
        return ref

    def _asset_refs(self, value: Any, where: str) -> list[str]:
        refs = texts(value, where)
        for index, ref in enumerate(refs):
            if ref not in self.assets:
                raise InvalidModelFile(f"“{ref}” is not one of the data assets.", at(where, index))
        return list(dict.fromkeys(refs))

    def _tag(self, component: Component, tag: str, where: str) -> None:
        tag = tag[: limit(ComponentModel, "tags")]
        if tag in component.tags:
            return
        if len(component.tags) >= (most := items_limit(ComponentModel, "tags")):
            self.document.warn(where, f"“{component.name}” has more than {most} tags; “{tag}” is left out.")
            return
        component.tags.append(tag)

    def _justification(self, item: dict[str, Any], where: str, label: str) -> None:
        place = at(where, "justification_cia_rating")
        if justification := _plain(text(item.get("justification_cia_rating"), place)):
            self.document.notes.append(f"{label}, why it is rated so: {justification}")
            self.dropped.note(where.split(".")[0].split("[")[0], "CIA justifications", "", noted=True)

    def _unknown_value(self, where: str, key: str, value: str, instead: str) -> None:
        self.document.warn(
            at(where, key),
            f"The {key.replace('_', ' ')} “{value}” is not one Threagile defines; {instead} is used.",
        )

    def _drop_fields(self, item: dict[str, Any], section: str, keys: tuple[str, ...], name: str) -> None:
        for key in keys:
            if item.get(key) not in (None, "", [], {}, False):
                self.dropped.note(section, key.replace("_", " "), name)

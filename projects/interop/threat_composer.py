"""AWS threat-composer workspaces (``.tc.json``) in and out.

threat-composer writes threat statements with the same grammar as ours, so threats map nearly one to one; it
has no components, flows or zones. Reading, each source field once:

- applicationInfo: its name is the project's name, its description the project's description. The descriptions
  of architecture and dataflow (markdown) go to the notes; their images (pictures of diagrams) are not kept.
- The application described becomes one component, a process named after it, which every threat targets.
- threats: threatSource, prerequisites, threatAction and threatImpact are the statement's parts; impactedGoal
  the impacted goals where they are ours (confidentiality, integrity, availability, authenticity,
  non-repudiation, authorisation or authorization), any other goal is warned and kept in the notes;
  impactedAssets become assets, one per name. A threat without a threatSource is by "threat actor"; one without
  a threatAction reads source and action from its statement when that says "A <source> can <action>", else
  takes the whole statement as the action; one with neither action nor statement is refused. The
  ``statement`` and ``customTemplate`` are text made from the parts, so they are not kept apart. Threats are
  numbered in threat-composer's numericId order.
- threat metadata: Priority High/Medium/Low → likelihood high/moderate/low; STRIDE → its letters; Comments →
  the notes. status: threatIdentified (or none) → identified, threatResolved → mitigated,
  threatResolvedNotUseful → rejected, "marked not useful in threat-composer". Tags → the notes.
- mitigations become controls: content is the title (the first 200 characters, the whole text in the
  description when longer), Comments the description. status: mitigationIdentified (or none) → proposed,
  mitigationInProgress → in progress, mitigationResolved → implemented, mitigationResolvedWillNotAction →
  proposed, warned (a control has no "will not do"). Tags → the notes.
- mitigationLinks link a control to a threat, at 50 % effectiveness; a link naming a threat or a mitigation
  the file does not hold is warned and left out; a link to an assumption goes to the notes.
- assumptions (with their comments and the threats and mitigations assumptionLinks tie them to) and the
  brainstorm are kept in the notes.
- Metadata the reader does not know (threat packs, other ``custom:`` keys) is warned; custom values in the notes.

Writing gives a workspace that validates against threat-composer's v1 schema, which allows no keys of its own,
so what threat-composer has no field for travels in metadata under ``custom:threatmodel.`` keys: the exact
threat and control statuses, the rejection reason, the likelihood, a control's kind and ticket, each link's
effectiveness, and the whole of a statement part longer than threat-composer's 200 characters. The reader uses
a ``custom:threatmodel.`` value only while the field it stands behind still reads as it was written. Zones,
components and flows have no place in threat-composer: they are listed in the architecture and dataflow
descriptions, for people to read.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from projects.models import (
    ComponentKind,
    ControlKind,
    ControlStatus,
    Goal,
    LikelihoodLevel,
    Stride,
    ThreatStatus,
    TrustLevel,
    threat_statement,
)

from .document import (
    Asset,
    Component,
    Control,
    InvalidModelFile,
    Link,
    ModelDocument,
    Threat,
)
from .reading import Names, at, check_size, fit, kind_of, mapping, sequence, text

FORMAT = "threat-composer"
LABEL = "AWS threat-composer"
SCHEMA_VERSION = 1
THREAT_SOURCE = "threat actor"
DEFAULT_EFFECTIVENESS = 50
CUSTOM = "custom:threatmodel."

# threat-composer's limits, from its schema.
PART_LENGTH = 200
COMMENT_LENGTH = 1_000
CONTENT_LENGTH = 1_000
TAG_LENGTH = 30
DESCRIPTION_LENGTH = 100_000
# Ours (projects.models).
NAME_LENGTH = 200
SOURCE_LENGTH = 200
STATEMENT_PART_LENGTH = 500
PROJECT_DESCRIPTION_LENGTH = 10_000
CONTROL_DESCRIPTION_LENGTH = 5_000
REASON_LENGTH = 2_000

_NOT_USEFUL = "Marked not useful in threat-composer."
_THREAT_STATUS_IN = {
    "threatIdentified": (ThreatStatus.IDENTIFIED, ""),
    "threatResolved": (ThreatStatus.MITIGATED, ""),
    "threatResolvedNotUseful": (ThreatStatus.REJECTED, _NOT_USEFUL),
}
_THREAT_STATUS_OUT: dict[str, str] = {
    ThreatStatus.IDENTIFIED: "threatIdentified",
    ThreatStatus.IN_REVIEW: "threatIdentified",
    ThreatStatus.CONFIRMED: "threatIdentified",
    ThreatStatus.MITIGATED: "threatResolved",
    ThreatStatus.ACCEPTED: "threatResolved",
    ThreatStatus.REJECTED: "threatResolvedNotUseful",
}
_CONTROL_STATUS_IN: dict[str, str] = {
    "mitigationIdentified": ControlStatus.PROPOSED,
    "mitigationInProgress": ControlStatus.IN_PROGRESS,
    "mitigationResolved": ControlStatus.IMPLEMENTED,
    "mitigationResolvedWillNotAction": ControlStatus.PROPOSED,
}
_CONTROL_STATUS_OUT: dict[str, str] = {
    ControlStatus.PROPOSED: "mitigationIdentified",
    ControlStatus.PLANNED: "mitigationIdentified",
    ControlStatus.IN_PROGRESS: "mitigationInProgress",
    ControlStatus.IMPLEMENTED: "mitigationResolved",
    ControlStatus.VERIFIED: "mitigationResolved",
}
_PRIORITY_IN: dict[str, str] = {
    "high": LikelihoodLevel.HIGH,
    "medium": LikelihoodLevel.MODERATE,
    "low": LikelihoodLevel.LOW,
}
_PRIORITY_OUT: dict[str, str] = {
    LikelihoodLevel.VERY_HIGH: "High",
    LikelihoodLevel.HIGH: "High",
    LikelihoodLevel.MODERATE: "Medium",
    LikelihoodLevel.LOW: "Low",
    LikelihoodLevel.VERY_LOW: "Low",
}
_GOAL_IN = {
    "confidentiality": Goal.CONFIDENTIALITY,
    "integrity": Goal.INTEGRITY,
    "availability": Goal.AVAILABILITY,
    "authenticity": Goal.AUTHENTICITY,
    "non repudiation": Goal.NON_REPUDIATION,
    "nonrepudiation": Goal.NON_REPUDIATION,
    "authorisation": Goal.AUTHORISATION,
    "authorization": Goal.AUTHORISATION,
}
# Metadata that says where a threat or mitigation came from in threat-composer's packs; nothing of ours keeps it.
_PACK_KEYS = {"source", "threatPackId", "threatPackThreatId", "threatPackMitigationCandidateId"}
_PACK_KEYS |= {"mitigationPackId", "mitigationPackMitigationId"}
_STATEMENT_PARTS = (
    ("threatSource", "threat_source", SOURCE_LENGTH),
    ("prerequisites", "prerequisites", STATEMENT_PART_LENGTH),
    ("threatAction", "threat_action", STATEMENT_PART_LENGTH),
    ("threatImpact", "threat_impact", STATEMENT_PART_LENGTH),
)
_BRAINSTORM = {
    "assumptions": "assumptions",
    "mitigations": "mitigations",
    "threatSources": "threat sources",
    "threatPrerequisites": "threat prerequisites",
    "threatActions": "threat actions",
    "threatImpacts": "threat impacts",
    "assets": "assets",
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_NAMESPACE = uuid.UUID("5a0c7e4b-2d9f-4a61-8c3e-0f7b6d1e9a42")
_GRAMMAR = re.compile(r"^(?:an?|the)\s+(?P<source>.+?)\s+can\s+(?P<action>.+)$", re.IGNORECASE | re.DOTALL)
_SIGNATURE_KEYS = {"applicationInfo", "architecture", "dataflow", "assumptionLinks", "mitigationLinks"}


def recognises(data: Any) -> bool:
    """A threat-composer workspace: its own top-level keys, or threats written in its grammar's keys."""
    if not isinstance(data, dict) or {"otmVersion", "project", "detail", "technical_assets"} & data.keys():
        return False
    if _SIGNATURE_KEYS & data.keys():
        return True
    threats = data.get("threats")
    return isinstance(threats, list) and any(
        isinstance(item, dict) and {"threatAction", "threatSource", "numericId"} & item.keys()
        for item in threats
    )


def read(data: Any) -> ModelDocument:
    return _Reader().read(data)


def _shorten(value: str, length: int) -> str:
    """How the writer fits a text to one of threat-composer's limits (cut at a word, with an ellipsis)."""
    if len(value) <= length:
        return value
    cut = value[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def _clean(value: str) -> str:
    return " ".join(value.split())


class _Reader:
    def __init__(self) -> None:
        self.document = ModelDocument(format=FORMAT, name="")
        self.assets: dict[str, Asset] = {}  # by name, case folded
        self.asset_names = Names(self.document, "asset")
        self.threat_refs: dict[str, Threat] = {}
        self.control_refs: dict[str, Control] = {}
        self.assumption_texts: dict[str, str] = {}
        self.effectiveness: dict[
            tuple[str, str], int
        ] = {}  # (control ref, threat ref) → what our writer said
        self.linked: set[tuple[str, str]] = set()
        self.parts = 0

    def read(self, data: Any) -> ModelDocument:
        document = self.document
        if not isinstance(data, dict):
            raise InvalidModelFile(
                f"A threat-composer file is a JSON object; this file holds {kind_of(data)}."
            )
        threats = sequence(data.get("threats"), "threats")
        mitigations = sequence(data.get("mitigations"), "mitigations")
        mitigation_links = sequence(data.get("mitigationLinks"), "mitigationLinks")
        assumptions = sequence(data.get("assumptions"), "assumptions")
        assumption_links = sequence(data.get("assumptionLinks"), "assumptionLinks")
        check_size(1 + len(threats) + len(mitigations) + len(mitigation_links))
        if not threats:
            raise InvalidModelFile(
                "The file has no threats; threat-composer files hold no components, so there is nothing to import.",
                "threats",
            )
        application = self._application(data)
        ordered = sorted(enumerate(threats), key=lambda pair: _order(pair[1], pair[0]))
        for index, item in ordered:
            self._threat(item, at("threats", index), application)
        for index, item in enumerate(mitigations):
            self._mitigation(item, at("mitigations", index))
        self._assumption_texts(assumptions)
        for index, item in enumerate(mitigation_links):
            self._link(item, at("mitigationLinks", index))
        self._assumptions(assumptions, assumption_links)
        self._brainstorm(data)
        return document

    def _keep(self, where: str, warning: str, note: str) -> None:
        self.document.warn(where, warning)
        self.document.notes.append(note)

    def _count(self) -> None:
        self.parts += 1
        check_size(self.parts)

    def _application(self, data: dict[str, Any]) -> Component:
        document = self.document
        info = mapping(data.get("applicationInfo"), "applicationInfo", optional=True)
        name = _clean(text(info.get("name"), "applicationInfo.name"))
        if not name:
            name = "Application"
            document.warn(
                "applicationInfo.name", f"The application has no name; the project is called “{name}”."
            )
        document.name = fit(document, name, NAME_LENGTH, "applicationInfo.name", "The application's name")
        description = text(info.get("description"), "applicationInfo.description")
        document.description = fit(
            document,
            description,
            PROJECT_DESCRIPTION_LENGTH,
            "applicationInfo.description",
            "The application's description",
        )
        for key, title in (("architecture", "Architecture"), ("dataflow", "Data flow")):
            part = mapping(data.get(key), key, optional=True)
            if described := text(part.get("description"), at(key, "description")):
                self._keep(
                    at(key, "description"),
                    f"The {title.lower()} description has no field here; kept in the notes.",
                    f"{title} (from threat-composer):\n{described}",
                )
            if text(part.get("image"), at(key, "image")):
                document.warn(
                    at(key, "image"), f"The {title.lower()} diagram is a picture; it is not imported."
                )
        self._count()
        component = Component(
            ref="application",
            name=document.name,
            kind=ComponentKind.PROCESS,
            description="The application the threat-composer file describes; its threats all target it.",
        )
        document.components.append(component)
        document.warn(
            "threats",
            f"threat-composer has no components: the application is imported as one, “{document.name}”, "
            "which every threat targets.",
        )
        return component

    # Threats

    def _threat(self, item: Any, where: str, application: Component) -> None:
        document = self.document
        item = mapping(item, where)
        self._count()
        metadata = _metadata(item, where)
        identifier = text(item.get("id"), at(where, "id")) or where
        threat = Threat(ref=identifier, threat_source="", threat_action="", targets=[application.ref])
        for key, attribute, length in _STATEMENT_PARTS:
            value = _clean(text(item.get(key), at(where, key)))
            whole = metadata.pop(CUSTOM + key, None)
            if isinstance(whole, str) and whole and _shorten(whole, PART_LENGTH) == value:
                value = whole
            setattr(threat, attribute, fit(document, value, length, at(where, key), f"A threat's {key}"))
        statement = _clean(text(item.get("statement"), at(where, "statement")))
        if not threat.threat_action:
            if not statement:
                raise InvalidModelFile("The threat has neither a threatAction nor a statement.", where)
            self._from_statement(threat, statement, where)
        if not threat.threat_source:
            threat.threat_source = THREAT_SOURCE
            document.warn(
                at(where, "threatSource"), f"The threat has no threatSource; it is by “{THREAT_SOURCE}”."
            )
        label = f"“{_shorten(threat.threat_action, 80)}”"
        threat.impacted_goals = self._goals(item.get("impactedGoal"), at(where, "impactedGoal"), label)
        threat.assets = self._assets(item.get("impactedAssets"), at(where, "impactedAssets"))
        self._threat_status(threat, item, metadata, where)
        self._priority(threat, metadata, where)
        threat.stride = _stride(metadata.pop("STRIDE", None), at(where, "metadata"), document)
        self._rest(metadata, where, f"the threat {label}")
        self._tags(item, where, f"the threat {label}")
        if text(item.get("customTemplate"), at(where, "customTemplate")):
            document.warn(at(where, "customTemplate"), "The threat's custom statement template is not kept.")
        if identifier in self.threat_refs:
            raise InvalidModelFile(f"Another threat has the id “{identifier}”.", at(where, "id"))
        self.threat_refs[identifier] = threat
        document.threats.append(threat)

    def _from_statement(self, threat: Threat, statement: str, where: str) -> None:
        """A threat written as a free statement: "A <source> can <action>" when it reads so, else all action."""
        document = self.document
        if (grammar := _GRAMMAR.match(statement)) and not threat.threat_source:
            threat.threat_source = fit(
                document, grammar["source"], SOURCE_LENGTH, at(where, "statement"), "A source"
            )
            action = grammar["action"].rstrip(".")
            document.warn(
                where, "The threat has no threatAction; its source and action are taken from its statement."
            )
        else:
            action = statement
            document.warn(
                where, "The threat has no threatAction; its whole statement is taken as the action."
            )
        threat.threat_action = fit(
            document, action, STATEMENT_PART_LENGTH, at(where, "statement"), "A statement"
        )

    def _goals(self, value: Any, where: str, label: str) -> list[str]:
        goals: list[str] = []
        for index, goal in enumerate(sequence(value, where)):
            word = _clean(text(goal, at(where, index)))
            if not word:
                continue
            found = _GOAL_IN.get(word.casefold().replace("-", " ").replace("_", " "))
            if found is None:
                self._keep(
                    at(where, index),
                    f"The impacted goal “{word}” is not one of ours; kept in the notes.",
                    f"Impacted goal of the threat {label}: {word}",
                )
            elif found not in goals:
                goals.append(found)
        return goals

    def _assets(self, value: Any, where: str) -> list[str]:
        refs: list[str] = []
        for index, name in enumerate(sequence(value, where)):
            name = _clean(text(name, at(where, index)))
            if not name:
                continue
            name = fit(self.document, name, NAME_LENGTH, at(where, index), "An asset's name")
            asset = self.assets.get(name.casefold())
            if asset is None:
                self._count()
                asset = Asset(
                    ref=name,
                    name=self.asset_names.unique(name, at(where, index)),
                )
                self.assets[name.casefold()] = asset
                self.document.assets.append(asset)
            if asset.ref not in refs:
                refs.append(asset.ref)
        return refs

    def _threat_status(
        self, threat: Threat, item: dict[str, Any], metadata: dict[str, Any], where: str
    ) -> None:
        status = text(item.get("status"), at(where, "status"))
        ours = metadata.pop(CUSTOM + "status", None)
        reason = metadata.pop(CUSTOM + "statusReason", None)
        if status and status not in _THREAT_STATUS_IN:
            self.document.warn(
                at(where, "status"), f"The status “{status}” is not threat-composer's; read as identified."
            )
            return
        threat.status, threat.status_reason = _THREAT_STATUS_IN[status or "threatIdentified"]
        if ours in ThreatStatus.values and _THREAT_STATUS_OUT[ours] == (status or "threatIdentified"):
            threat.status = ours
            if isinstance(reason, str) and reason:
                threat.status_reason = fit(
                    self.document, reason, REASON_LENGTH, at(where, "metadata"), "A reason"
                )
            elif ours != ThreatStatus.REJECTED:
                threat.status_reason = ""

    def _priority(self, threat: Threat, metadata: dict[str, Any], where: str) -> None:
        priority = metadata.pop("Priority", None)
        ours = metadata.pop(CUSTOM + "likelihood", None)
        if priority is None:
            return
        if not isinstance(priority, str) or priority.casefold() not in _PRIORITY_IN:
            self.document.warn(
                at(where, "metadata"), f"The priority {priority!r} is not High, Medium or Low; not kept."
            )
            return
        threat.likelihood = _PRIORITY_IN[priority.casefold()]
        if ours in LikelihoodLevel.values and _PRIORITY_OUT[ours] == priority:
            threat.likelihood = ours

    def _rest(self, metadata: dict[str, Any], where: str, label: str) -> None:
        """Comments go to the notes; other metadata is warned, custom values noted."""
        comments = metadata.pop("Comments", None)
        if isinstance(comments, str) and comments.strip():
            self._keep(
                at(where, "metadata"),
                f"Comments on {label} have no field here; kept in the notes.",
                f"Comments on {label}: {comments.strip()}",
            )
        packs = sorted(key for key in metadata if key in _PACK_KEYS)
        if packs:
            self.document.warn(at(where, "metadata"), f"Where it came from ({', '.join(packs)}) is not kept.")
        for key, value in metadata.items():
            if key in _PACK_KEYS or key.startswith(CUSTOM):
                continue
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            self._keep(
                at(where, "metadata"),
                f"The metadata “{key}” has no field here; kept in the notes.",
                f"{key} of {label}: {shown}",
            )

    def _tags(self, item: dict[str, Any], where: str, label: str) -> None:
        tags = [
            _clean(text(tag, at(at(where, "tags"), index)))
            for index, tag in enumerate(sequence(item.get("tags"), at(where, "tags")))
        ]
        if tags := [tag for tag in tags if tag]:
            self._keep(
                at(where, "tags"),
                f"Tags on {label} have no field here; kept in the notes.",
                f"Tags of {label}: {', '.join(tags)}",
            )

    # Mitigations and links

    def _mitigation(self, item: Any, where: str) -> None:
        document = self.document
        item = mapping(item, where)
        self._count()
        metadata = _metadata(item, where)
        identifier = text(item.get("id"), at(where, "id")) or where
        content = text(item.get("content"), at(where, "content"), required="the mitigation's content")
        comments = metadata.pop("Comments", None)
        description = comments.strip() if isinstance(comments, str) else ""
        whole = metadata.pop(CUSTOM + "description", None)
        if isinstance(whole, str) and whole and _shorten(whole, COMMENT_LENGTH) == description:
            description = whole
        title = _clean(content)
        if len(title) > NAME_LENGTH:
            description = f"{content}\n\n{description}" if description else content
            title = _shorten(title, NAME_LENGTH)
        control = Control(
            ref=identifier,
            title=title,
            description=fit(
                document, description, CONTROL_DESCRIPTION_LENGTH, where, f"The description of “{title}”"
            ),
        )
        status = text(item.get("status"), at(where, "status"))
        if status and status not in _CONTROL_STATUS_IN:
            document.warn(
                at(where, "status"), f"The status “{status}” is not threat-composer's; read as proposed."
            )
        control.status = _CONTROL_STATUS_IN.get(status, ControlStatus.PROPOSED)
        ours = metadata.pop(CUSTOM + "status", None)
        if ours in ControlStatus.values and _CONTROL_STATUS_OUT[ours] == (status or "mitigationIdentified"):
            control.status = ours
        elif status == "mitigationResolvedWillNotAction":
            document.warn(
                at(where, "status"),
                f"“{_shorten(title, 80)}” is resolved as “will not action”; controls have no such status, so it is "
                "proposed.",
            )
        kind = metadata.pop(CUSTOM + "kind", None)
        control.kind = kind if kind in ControlKind.values else ControlKind.PREVENTIVE
        ticket = metadata.pop(CUSTOM + "ticketUrl", None)
        control.ticket_url = ticket if isinstance(ticket, str) else ""
        effectiveness = metadata.pop(CUSTOM + "effectiveness", None)
        for entry in effectiveness if isinstance(effectiveness, list) else []:
            threat_id, _, percent = str(entry).rpartition("=")
            if percent.isdigit() and 0 <= int(percent) <= 100:
                self.effectiveness[(identifier, threat_id)] = int(percent)
        label = f"the mitigation “{_shorten(title, 80)}”"
        self._rest(metadata, where, label)
        self._tags(item, where, label)
        if identifier in self.control_refs:
            raise InvalidModelFile(f"Another mitigation has the id “{identifier}”.", at(where, "id"))
        self.control_refs[identifier] = control
        document.controls.append(control)

    def _link(self, item: Any, where: str) -> None:
        item = mapping(item, where)
        control_id = text(item.get("mitigationId"), at(where, "mitigationId"), required="the mitigation's id")
        linked_id = text(item.get("linkedId"), at(where, "linkedId"), required="the linked id")
        control = self.control_refs.get(control_id)
        if control is None:
            self.document.warn(
                where, f"The link names a mitigation not in the file (“{control_id}”); left out."
            )
            return
        if linked_id in self.assumption_texts:
            self.document.notes.append(
                f"The mitigation “{control.title}” rests on an assumption: {self.assumption_texts[linked_id]}"
            )
            return
        if linked_id not in self.threat_refs:
            self.document.warn(where, f"The link names a threat not in the file (“{linked_id}”); left out.")
            return
        if (linked_id, control_id) in self.linked:
            return
        self.linked.add((linked_id, control_id))
        self._count()
        effectiveness = self.effectiveness.get((control_id, linked_id), DEFAULT_EFFECTIVENESS)
        self.document.links.append(Link(threat=linked_id, control=control_id, effectiveness=effectiveness))

    # Notes

    def _assumption_texts(self, assumptions: list[Any]) -> None:
        for index, item in enumerate(assumptions):
            where = at("assumptions", index)
            item = mapping(item, where)
            content = text(item.get("content"), at(where, "content"), required="the assumption's content")
            self.assumption_texts[text(item.get("id"), at(where, "id")) or where] = content

    def _assumptions(self, assumptions: list[Any], links: list[Any]) -> None:
        linked: dict[str, list[str]] = {}
        for index, link in enumerate(links):
            where = at("assumptionLinks", index)
            link = mapping(link, where)
            assumption = text(
                link.get("assumptionId"), at(where, "assumptionId"), required="the assumption's id"
            )
            other = text(link.get("linkedId"), at(where, "linkedId"), required="the linked id")
            if assumption not in self.assumption_texts:
                self.document.warn(
                    where, f"The link names an assumption not in the file (“{assumption}”); left out."
                )
            elif threat := self.threat_refs.get(other):
                linked.setdefault(assumption, []).append(f"the threat “{_shorten(threat.threat_action, 80)}”")
            elif control := self.control_refs.get(other):
                linked.setdefault(assumption, []).append(f"the mitigation “{_shorten(control.title, 80)}”")
            else:
                self.document.warn(
                    where, f"The link names a threat or mitigation not in the file (“{other}”); left out."
                )
        for index, item in enumerate(assumptions):
            where = at("assumptions", index)
            identifier = text(item.get("id"), at(where, "id")) or where
            metadata = _metadata(item, where)
            note = f"Assumption: {self.assumption_texts[identifier]}"
            comments = metadata.get("Comments")
            if isinstance(comments, str) and comments.strip():
                note += f"\nComments: {comments.strip()}"
            if targets := linked.get(identifier):
                note += f"\nApplies to {', '.join(dict.fromkeys(targets))}."
            self.document.notes.append(note)
        if assumptions:
            self.document.warn(
                "assumptions",
                f"{len(assumptions)} assumption(s) have no field here; they are kept in the notes.",
            )

    def _brainstorm(self, data: dict[str, Any]) -> None:
        brainstorm = mapping(data.get("brainstorm"), "brainstorm", optional=True)
        for key, title in _BRAINSTORM.items():
            where = at("brainstorm", key)
            items = [
                mapping(item, at(where, index))
                for index, item in enumerate(sequence(brainstorm.get(key), where))
            ]
            contents = [
                text(item.get("content"), at(at(where, index), "content")) for index, item in enumerate(items)
            ]
            if contents := [content for content in contents if content]:
                self._keep(
                    where,
                    f"Brainstormed {title} have no field here; kept in the notes.",
                    f"Brainstormed {title}: " + "; ".join(contents),
                )


def _order(item: Any, index: int) -> tuple[float, int]:
    number = item.get("numericId") if isinstance(item, dict) else None
    ordered = isinstance(number, int | float) and not isinstance(number, bool)
    return (float(number) if ordered else float("inf"), index)  # type: ignore[arg-type]


def _metadata(item: dict[str, Any], where: str) -> dict[str, Any]:
    """An item's metadata as a dict by key (a later entry of the same key wins)."""
    found: dict[str, Any] = {}
    for index, entry in enumerate(sequence(item.get("metadata"), at(where, "metadata"))):
        entry = mapping(entry, at(at(where, "metadata"), index))
        key = text(entry.get("key"), at(at(at(where, "metadata"), index), "key"), required="a key")
        found[key] = entry.get("value")
    return found


def _stride(value: Any, where: str, document: ModelDocument) -> list[str]:
    if value is None:
        return []
    letters = [value] if isinstance(value, str) else value
    if not isinstance(letters, list):
        raise InvalidModelFile(f"STRIDE should be a list of letters, found {kind_of(value)}.", where)
    found: list[str] = []
    for letter in letters:
        if isinstance(letter, str) and letter.strip().upper() in Stride.values:
            if letter.strip().upper() not in found:
                found.append(letter.strip().upper())
        else:
            document.warn(where, f"{letter!r} is not a STRIDE letter; left out.")
    return found


# Writing


def write(document: ModelDocument) -> dict[str, Any]:
    ids: dict[tuple[str, str], str] = {}
    used: set[str] = set()

    def identifier(kind: str, ref: str) -> str:
        if (kind, ref) not in ids:
            candidate = (
                ref if _UUID.match(ref) and ref not in used else str(uuid.uuid5(_NAMESPACE, f"{kind}:{ref}"))
            )
            while candidate in used:
                candidate = str(uuid.uuid5(_NAMESPACE, candidate))
            used.add(candidate)
            ids[(kind, ref)] = candidate
        return ids[(kind, ref)]

    asset_names = {asset.ref: asset.name for asset in document.assets}
    controls = {control.ref: control for control in document.controls}
    threat_refs = {threat.ref for threat in document.threats}
    links = [link for link in document.links if link.control in controls and link.threat in threat_refs]
    threats = [
        _threat(
            threat,
            number,
            identifier("threat", threat.ref),
            [asset_names[r] for r in threat.assets if r in asset_names],
        )
        for number, threat in enumerate(document.threats, start=1)
    ]
    effectiveness: dict[str, list[str]] = {}
    for link in links:
        if link.effectiveness != DEFAULT_EFFECTIVENESS:
            effectiveness.setdefault(link.control, []).append(
                f"{identifier('threat', link.threat)}={link.effectiveness}"
            )
    mitigations = [
        _mitigation(control, number, identifier("control", control.ref), effectiveness.get(control.ref, []))
        for number, control in enumerate(document.controls, start=1)
    ]
    return {
        "schema": SCHEMA_VERSION,
        "applicationInfo": {
            "name": _shorten(document.name, NAME_LENGTH),
            "description": _shorten(document.description, DESCRIPTION_LENGTH),
        },
        "architecture": {"description": _shorten(_architecture(document), DESCRIPTION_LENGTH)},
        "dataflow": {"description": _shorten(_dataflow(document), DESCRIPTION_LENGTH)},
        "assumptions": [],
        "mitigations": mitigations,
        "assumptionLinks": [],
        "mitigationLinks": [
            {
                "mitigationId": identifier("control", link.control),
                "linkedId": identifier("threat", link.threat),
            }
            for link in links
        ],
        "threats": threats,
    }


def _custom(key: str, value: str | list[str]) -> dict[str, Any]:
    return {"key": CUSTOM + key, "value": value}


def _threat(threat: Threat, number: int, identifier: str, asset_names: list[str]) -> dict[str, Any]:
    metadata: list[dict[str, Any]] = []
    parts: dict[str, str] = {}
    for key, attribute, _ in _STATEMENT_PARTS:
        value = getattr(threat, attribute)
        parts[key] = _shorten(value, PART_LENGTH)
        if parts[key] != value:
            metadata.append(_custom(key, value))
    if threat.likelihood in _PRIORITY_OUT:
        metadata.append({"key": "Priority", "value": _PRIORITY_OUT[threat.likelihood]})
        metadata.append(_custom("likelihood", threat.likelihood))
    if threat.stride:
        metadata.append(
            {"key": "STRIDE", "value": [letter for letter in threat.stride if letter in Stride.values]}
        )
    metadata.append(_custom("status", threat.status))
    if threat.status_reason:
        metadata.append(_custom("statusReason", threat.status_reason))
    goals = [str(Goal(goal).label).lower() for goal in threat.impacted_goals if goal in Goal.values]
    assets = [_shorten(name, PART_LENGTH) for name in asset_names]
    return {
        "id": identifier,
        "numericId": number,
        "displayOrder": number,
        "metadata": metadata,
        **parts,
        "impactedGoal": goals,
        "impactedAssets": assets,
        "statement": _shorten(
            threat_statement(
                threat_source=parts["threatSource"],
                prerequisites=parts["prerequisites"],
                threat_action=parts["threatAction"],
                threat_impact=parts["threatImpact"],
                impacted_goals=goals,
                impacted_assets=assets,
            ),
            1_400,
        ),
        "status": _THREAT_STATUS_OUT.get(threat.status, "threatIdentified"),
    }


def _mitigation(control: Control, number: int, identifier: str, effectiveness: list[str]) -> dict[str, Any]:
    metadata: list[dict[str, Any]] = []
    if control.description:
        comment = _shorten(control.description, COMMENT_LENGTH)
        metadata.append({"key": "Comments", "value": comment})
        if comment != control.description:
            metadata.append(_custom("description", control.description))
    metadata.append(_custom("status", control.status))
    metadata.append(_custom("kind", control.kind))
    if control.ticket_url:
        metadata.append(_custom("ticketUrl", control.ticket_url))
    if effectiveness:
        metadata.append(_custom("effectiveness", effectiveness))
    return {
        "id": identifier,
        "numericId": number,
        "displayOrder": number,
        "metadata": metadata,
        "content": _shorten(control.title, CONTENT_LENGTH),
        "status": _CONTROL_STATUS_OUT.get(control.status, "mitigationIdentified"),
    }


def _lines(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _architecture(document: ModelDocument) -> str:
    """The zones and components, for people reading the workspace in threat-composer."""
    zones = {zone.ref: zone for zone in document.zones}
    sections = []
    if document.zones:
        sections.append(
            "### Trust zones\n\n"
            + _lines(
                f"**{zone.name}** ({str(TrustLevel(zone.trust_level).label).lower()} trust"
                + (f", inside {zones[zone.parent].name}" if zone.parent in zones else "")
                + ")"
                + (f": {_clean(zone.description)}" if zone.description else "")
                for zone in document.zones
            )
        )
    if document.components:
        sections.append(
            "### Components\n\n"
            + _lines(
                f"**{component.name}** ({_kind_label(component.kind)}"
                + (f", in {zones[component.zone].name}" if component.zone in zones else "")
                + (f", {component.technology}" if component.technology else "")
                + ")"
                + (f": {_clean(component.description)}" if component.description else "")
                for component in document.components
            )
        )
    return "\n\n".join(sections)


def _dataflow(document: ModelDocument) -> str:
    names = {component.ref: component.name for component in document.components}
    if not document.flows:
        return ""
    return "### Data flows\n\n" + _lines(
        f"**{flow.name}**: {names.get(flow.source, flow.source)} to {names.get(flow.destination, flow.destination)}"
        + "".join(
            f", {detail}"
            for detail in (
                flow.protocol,
                "encrypted" if flow.is_encrypted else "",
                "authenticated" if flow.is_authenticated else "",
                f"carrying {flow.data_carried}" if flow.data_carried else "",
            )
            if detail
        )
        for flow in document.flows
    )


def _kind_label(kind: str) -> str:
    return str(ComponentKind(kind).label).lower() if kind in ComponentKind.values else kind

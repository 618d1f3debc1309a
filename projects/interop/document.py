"""The neutral shape every model import reads into and every export writes from.

A parser turns a file of another tool into a ``ModelDocument``; ``projects.interop.services`` writes one in a
single transaction; an exporter turns a project back into one and then into the other tool's format. The
document holds plain values in our vocabulary (the choice values of ``projects.models``), so a parser decides
every mapping once and the writer trusts none of it: it validates each part as the forms do.

Parts refer to each other by ``ref``, the identifier the source file gave them (or one the parser made up,
unique within its kind). Whatever the source holds that we cannot represent becomes a ``SourceWarning`` with
the place it came from; the import lists them and keeps them in the project's notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Limits on what one import may hold: a file past them is refused with the limit named, never cut short.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_PARTS = 20_000


class InvalidModelFile(ValueError):
    """The file cannot be imported; the message names the problem and ``where`` the place in the file."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class SourceWarning:
    """Something in the source that the project does not keep, or keeps changed, and where it was."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class Zone:
    ref: str
    name: str
    trust_level: int = 2  # projects.models.TrustLevel value, 0 (untrusted) to 4 (fully trusted)
    parent: str = ""  # ref of the enclosing zone
    description: str = ""


@dataclass
class Asset:
    ref: str
    name: str
    kind: str = "data"  # AssetKind value
    description: str = ""
    classification: str = "internal"  # DataClassification value
    confidentiality: int = 2  # Rating value, 1 (low) to 4 (critical)
    integrity: int = 2
    availability: int = 2


@dataclass
class Component:
    ref: str
    name: str
    kind: str  # ComponentKind value: actor, process, data_store, external_service
    zone: str = ""  # ref of its trust zone
    description: str = ""
    technology: str = ""
    tags: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)  # asset refs


@dataclass
class Flow:
    ref: str
    name: str
    source: str  # component refs
    destination: str
    protocol: str = ""
    data_carried: str = ""
    is_encrypted: bool = False
    is_authenticated: bool = False
    assets: list[str] = field(default_factory=list)


@dataclass
class Threat:
    """A threat statement (source, prerequisites, action, impact, goals, assets), STRIDE letters and status.

    ``likelihood`` is a LikelihoodLevel value or empty; ``status_reason`` is required for "rejected" (out of
    scope, not applicable). ``targets`` are component or flow refs.
    """

    ref: str
    threat_source: str
    threat_action: str
    prerequisites: str = ""
    threat_impact: str = ""
    impacted_goals: list[str] = field(default_factory=list)  # Goal values
    assets: list[str] = field(default_factory=list)
    stride: list[str] = field(default_factory=list)  # Stride letters
    status: str = "identified"  # ThreatStatus value
    status_reason: str = ""
    likelihood: str = ""
    targets: list[str] = field(default_factory=list)


@dataclass
class Control:
    ref: str
    title: str
    description: str = ""
    kind: str = "preventive"  # ControlKind value
    status: str = "proposed"  # ControlStatus value
    ticket_url: str = ""


@dataclass
class Link:
    """A control linked to a threat, with how much of the threat it removes (0 to 100)."""

    threat: str
    control: str
    effectiveness: int = 50


@dataclass
class ModelDocument:
    """One system's model as read from (or written to) another tool's file."""

    format: str  # the format key it came from: otm, threat-dragon, threat-composer, threagile
    name: str
    description: str = ""
    zones: list[Zone] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    threats: list[Threat] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # text kept from the source that has no field of ours
    warnings: list[SourceWarning] = field(default_factory=list)

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(SourceWarning(where, message))

    def counts(self) -> dict[str, int]:
        return {
            "zones": len(self.zones),
            "assets": len(self.assets),
            "components": len(self.components),
            "flows": len(self.flows),
            "threats": len(self.threats),
            "controls": len(self.controls),
        }

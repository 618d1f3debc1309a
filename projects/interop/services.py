"""Writing a model read from another tool's file as a project: new, or over an existing one (replace).

``model_import`` writes a ``ModelDocument`` in one transaction, inside the member's history context, or writes
nothing: it first plans every row (checks the member's rights, the team, the name, every reference between the
parts, every field of every part) and only then writes, in a few bulk inserts whatever the size of the model.
``model_preview`` runs the same plan without writing, for the upload page and the API's dry run, so what the
preview shows is what the import writes. Threats imported in review are told to the members who decide reviews,
as threats sent for review by hand are.

What the file holds and the project cannot keep, and what the import had to change, become warnings: on the
result, and in the project's notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models
from django.db.models import F, prefetch_related_objects

from projects import notifications
from projects.interop import document as doc
from projects.interop.document import MAX_PARTS, InvalidModelFile, ModelDocument
from projects.models import (
    DECISION_STATUSES,
    Asset,
    Component,
    ComponentAsset,
    Control,
    DataFlow,
    FlowAsset,
    Goal,
    Membership,
    Project,
    Team,
    Threat,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    ThreatStatus,
    TrustZone,
    threat_statement,
)
from projects.roles import Permission
from projects.webhook_models import WebhookEvent
from projects.webhook_payloads import threat_data
from projects.webhooks import emit_many
from projects.workspace_services import _check_team, require_edit, status_reason_after
from projects.writes import _long_text_errors, _nul_byte_errors, change, validate

# How many rows one INSERT writes; PostgreSQL takes far more, but a statement this size stays quick to plan.
BATCH = 1_000
# How many invalid parts one refusal names: enough to fix a file in a few rounds, short enough to read.
ERRORS_NAMED = 10
NOTES_LIMIT = Project._meta.get_field("notes").max_length or 100_000


@dataclass(frozen=True)
class ImportResult:
    project: Project
    counts: dict[str, int]
    warnings: list[str]
    replaced: bool = False

    def summary(self) -> dict[str, Any]:
        """What the command prints and the API answers."""
        return {
            "project": {"id": self.project.pk, "name": self.project.name, "team": self.project.team.slug},
            "replaced": self.replaced,
            **self.counts,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class ScenarioLoss:
    """A threat of the replaced project that leads to business risks: replacing drops those scenarios."""

    threat: str  # "T-4"
    statement: str
    risks: list[str]  # "R-2"


@dataclass(frozen=True)
class ImportPreview:
    """What an import would write, for a person to confirm."""

    format: str
    name: str
    team: Team
    replace: Project | None
    counts: dict[str, int]
    zones: list[str]
    assets: list[str]
    components: list[str]
    flows: list[str]
    threats: list[str]
    controls: list[str]
    warnings: list[str]
    notes: list[str]
    dropping: dict[str, int]  # the parts of the replaced project that go
    scenario_losses: list[ScenarioLoss]

    def summary(self) -> dict[str, Any]:
        return {
            "project": {
                "id": self.replace.pk if self.replace else None,
                "name": self.name,
                "team": self.team.slug,
            },
            "replaced": self.replace is not None,
            **self.counts,
            "warnings": self.warnings,
        }


def model_preview(
    *,
    membership: Membership,
    team: Team,
    document: ModelDocument,
    replace: Project | None = None,
    name: str | None = None,
) -> ImportPreview:
    """Everything model_import would write, checked as it would check it, with nothing written."""
    plan = _plan(membership, team, document, replace, name)
    dropping, losses = _replaced_parts(replace) if replace is not None else ({}, [])
    return ImportPreview(
        format=document.format,
        name=plan.project.name,
        team=plan.project.team,
        replace=replace,
        counts=plan.counts(),
        zones=[zone.name for level in plan.zone_levels for zone in level],
        assets=[asset.name for asset in plan.assets],
        components=[component.name for component in plan.components],
        flows=[f"{flow.name} ({flow.source.name} → {flow.destination.name})" for flow in plan.flows],
        threats=_statements(plan),
        controls=[control.title for control in plan.controls],
        warnings=plan.warnings + [_loss_warning(loss) for loss in losses],
        notes=list(document.notes),
        dropping=dropping,
        scenario_losses=losses,
    )


def model_import(
    *,
    membership: Membership,
    team: Team,
    document: ModelDocument,
    replace: Project | None = None,
    name: str | None = None,
) -> ImportResult:
    """Write the document as a new project of the team, or over `replace` (which keeps its id, team and, unless
    `name` is given, its name): all of it, or nothing.

    Raises PermissionDenied (the member's role or team), ValidationError on `team`, `name` or `replace`, and
    InvalidModelFile naming each part of the file that is not valid.
    """
    plan = _plan(membership, team, document, replace, name)
    with change(membership):
        losses: list[ScenarioLoss] = []
        if replace is not None:
            _lock(replace)
            _, losses = _replaced_parts(replace)
            plan.warnings.extend(_loss_warning(loss) for loss in losses)
            plan.project.notes = _notes(plan, document)
            _clear(replace)
        else:
            plan.project.notes = _notes(plan, document)
        try:
            _write(plan, membership)
        except IntegrityError as error:
            # Every constraint is checked while planning; a concurrent import of the same name can still win.
            if "project_name_unique" in str(error):
                raise ValidationError({"name": _name_taken(plan.project.name)}) from None
            raise
        # As a threat logged by hand or from the library: written with the import, sent once it commits (each
        # delivery its own task, as for a bulk change), and gone with it if it fails.
        emit_many(
            organisation=plan.project.organisation_id,
            event=WebhookEvent.THREAT_CREATED,
            items=_created_threats(plan, membership),
        )
        notifications.threats_sent_for_review(
            membership=membership,
            project=plan.project,
            threats=[threat for threat in plan.threats if threat.status == ThreatStatus.IN_REVIEW],
        )
    return ImportResult(plan.project, plan.counts(), plan.warnings, replaced=replace is not None)


def _created_threats(plan: _Plan, membership: Membership) -> Iterator[dict[str, Any]]:
    """The threat.created data of the imported threats; a generator, so nothing is read unless an endpoint
    wants the event, and then their assets (for the statements) in one query."""
    prefetch_related_objects(plan.threats, "impacted_assets")
    for threat in plan.threats:
        yield threat_data(threat, actor=membership.user)


# Planning: every row built and checked, nothing written --------------------------------------------------


@dataclass
class _Plan:
    project: Project
    zone_levels: list[list[TrustZone]] = field(default_factory=list)  # parents before the zones inside them
    assets: list[Asset] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    flows: list[DataFlow] = field(default_factory=list)
    threats: list[Threat] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    links: list[ThreatControl] = field(default_factory=list)
    component_assets: list[tuple[Component, Asset]] = field(default_factory=list)
    flow_assets: list[tuple[DataFlow, Asset]] = field(default_factory=list)
    threat_assets: list[tuple[Threat, Asset]] = field(default_factory=list)
    threat_components: list[tuple[Threat, Component]] = field(default_factory=list)
    threat_flows: list[tuple[Threat, DataFlow]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "zones": sum(len(level) for level in self.zone_levels),
            "assets": len(self.assets),
            "components": len(self.components),
            "flows": len(self.flows),
            "threats": len(self.threats),
            "controls": len(self.controls),
            "links": len(self.links),
        }

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")

    def check(self, instance: models.Model, where: str) -> None:
        """Keep the part's field errors, named by the part, to refuse the file with all of them at once."""
        try:
            _validate_part(instance)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.errors.append(f"{where}: {name}: {' '.join(messages)}")


def _plan(
    membership: Membership,
    team: Team,
    document: ModelDocument,
    replace: Project | None,
    name: str | None,
) -> _Plan:
    _check_size(document)
    project = _project(membership, team, document, replace, name)
    plan = _Plan(project, warnings=[str(warning) for warning in document.warnings])
    zones = _zones(plan, document)
    assets = _assets(plan, document)
    components = _components(plan, document, zones, assets)
    flows = _flows(plan, document, components, assets)
    threats = _threats(plan, document, membership, components, flows, assets)
    controls = _controls(plan, document)
    _links(plan, document, threats, controls)
    if plan.errors:
        shown = plan.errors[:ERRORS_NAMED]
        more = len(plan.errors) - len(shown)
        if len(plan.errors) == 1:
            raise InvalidModelFile(plan.errors[0])
        listed = "\n".join(f"- {error}" for error in shown) + (f"\n- and {more} more" if more else "")
        raise InvalidModelFile(f"{len(plan.errors)} parts of the file are not valid:\n{listed}")
    return plan


def _check_size(document: ModelDocument) -> None:
    counts = document.counts()
    if not counts["components"] and not counts["threats"]:
        raise InvalidModelFile("The file holds no component and no threat, so there is nothing to import.")
    parts = sum(counts.values()) + len(document.links)
    if parts > MAX_PARTS:
        raise InvalidModelFile(f"The file holds {parts:,} parts; an import takes at most {MAX_PARTS:,}.")


def _name_taken(name: str) -> str:
    return f"A project named “{name}” already exists. Choose it to replace, or give this import another name."


def _project(
    membership: Membership,
    team: Team,
    document: ModelDocument,
    replace: Project | None,
    name: str | None,
) -> Project:
    """The project the import writes, checked: a new one of the team, or `replace` with the new description."""
    if not membership.can(Permission.EDIT_TEAM_PROJECTS):
        raise PermissionDenied("Your role cannot import models.")
    chosen = (name or "").strip()
    if replace is not None:
        if replace.organisation_id != membership.organisation_id:
            raise ValidationError({"replace": "Choose a project of this organisation."})
        require_edit(membership, replace)
        project = Project.objects.select_related("team", "organisation").get(pk=replace.pk)
        project.name = chosen or project.name
    else:
        _check_team(membership, team)
        project = Project(
            organisation=membership.organisation, team=team, name=chosen or document.name.strip()
        )
    project.description = document.description.strip()
    if not project.name:
        raise ValidationError({"name": "The file gives the model no name; give it one."})
    taken = Project.objects.filter(organisation=membership.organisation_id, name=project.name)
    if taken.exclude(pk=project.pk).exists():
        raise ValidationError({"name": _name_taken(project.name)})
    try:
        validate(project)
    except ValidationError as error:
        messages = error.message_dict
        if "name" in messages:
            raise ValidationError({"name": messages["name"]}) from None
        raise InvalidModelFile(
            "; ".join(f"{key}: {' '.join(value)}" for key, value in messages.items()), "the model"
        ) from None
    return project


@cache
def _relations(model: type[models.Model]) -> frozenset[str]:
    return frozenset(f.name for f in model._meta.concrete_fields if f.is_relation)


def _validate_part(instance: models.Model) -> None:
    """Every field of a part, as projects.writes.validate checks a row (its NUL-byte and length checks, then
    Django's field validation), without a query.

    validate() also checks each constraint with a query (Django's Q.check) and each relation with another,
    which for thousands of parts takes seconds. Here the relations, which the plan sets to parts it built, are
    left out, and what the constraints add to the fields' own choices and lengths (unique names, a reason for a
    rejection, two ends to a flow, no zone inside itself) is checked by the plan. The database's constraints
    stay the backstop.
    """
    errors = {
        name: [message]
        for name, message in (_long_text_errors(instance) | _nul_byte_errors(instance)).items()
    }
    try:
        instance.full_clean(
            exclude=[*_relations(type(instance)), *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        errors |= error.message_dict
    if errors:
        raise ValidationError(errors)


def _where(kind: str, index: int, label: str) -> str:
    label = " ".join(label.split())
    label = label if len(label) <= 60 else label[:59] + "…"
    return f'{kind}[{index}] ("{label}")' if label else f"{kind}[{index}]"


class _Names:
    """Names unique within a kind, as the project's constraints want them: a repeated name gets a number."""

    def __init__(self, plan: _Plan, kind: str) -> None:
        self.plan, self.kind, self.taken = plan, kind, set[str]()

    def unique(self, name: str, where: str) -> str:
        name = name.strip()
        if not name or name not in self.taken:
            self.taken.add(name)
            return name
        n = 2
        while f"{name} ({n})" in self.taken:
            n += 1
        renamed = f"{name} ({n})"
        self.taken.add(renamed)
        self.plan.warn(where, f"another {self.kind} is also named “{name}”, so this one is “{renamed}”.")
        return renamed


def _refs[T](plan: _Plan, where: str, what: str, refs: Iterable[str], found: dict[str, T]) -> list[T]:
    """The parts these refs name; a ref that names none is an error of the part that holds it."""
    parts, missing = [], []
    for ref in dict.fromkeys(refs):
        if ref in found:
            parts.append(found[ref])
        else:
            missing.append(ref)
    if missing:
        plan.errors.append(f"{where}: names {what} that the file does not hold: {', '.join(missing)}")
    return parts


def _duplicate_refs(plan: _Plan, kind: str, parts: Sequence[Any]) -> None:
    seen: set[str] = set()
    for index, part in enumerate(parts):
        if part.ref in seen:
            plan.errors.append(f"{kind}[{index}]: its id “{part.ref}” is used by another of the {kind} too")
        seen.add(part.ref)


def _zones(plan: _Plan, document: ModelDocument) -> dict[str, TrustZone]:
    _duplicate_refs(plan, "zones", document.zones)
    names = _Names(plan, "trust zone")
    zones: dict[str, TrustZone] = {}
    for index, item in enumerate(document.zones):
        where = _where("zones", index, item.name)
        zone = TrustZone(
            project=plan.project,
            name=names.unique(item.name, where),
            trust_level=item.trust_level,
            description=item.description,
        )
        plan.check(zone, where)
        zones[item.ref] = zone
    parents: dict[str, str] = {}
    for index, item in enumerate(document.zones):
        if not item.parent:
            continue
        if item.parent in zones:
            parents[item.ref] = item.parent
            zones[item.ref].parent = zones[item.parent]
        else:
            where = _where("zones", index, item.name)
            plan.errors.append(f"{where}: sits inside a zone the file does not hold: {item.parent}")
    depth: dict[str, int] = {}
    for index, item in enumerate(document.zones):
        chain, ref = [], item.ref
        while ref and ref not in depth and ref not in chain:
            chain.append(ref)
            ref = parents.get(ref, "")
        if ref in chain:
            where = _where("zones", index, item.name)
            plan.errors.append(f"{where}: sits inside itself (through {' → '.join([*chain, ref])})")
            depth.update(dict.fromkeys(chain, 0))
            continue
        level = depth[ref] if ref else -1
        for inner in reversed(chain):
            level += 1
            depth[inner] = level
    levels: dict[int, list[TrustZone]] = {}
    for item in document.zones:
        levels.setdefault(depth[item.ref], []).append(zones[item.ref])
    plan.zone_levels = [levels[level] for level in sorted(levels)]
    return zones


def _assets(plan: _Plan, document: ModelDocument) -> dict[str, Asset]:
    _duplicate_refs(plan, "assets", document.assets)
    names = _Names(plan, "asset")
    assets: dict[str, Asset] = {}
    for index, item in enumerate(document.assets):
        where = _where("assets", index, item.name)
        asset = Asset(
            project=plan.project,
            name=names.unique(item.name, where),
            kind=item.kind,
            description=item.description,
            classification=item.classification,
            confidentiality=item.confidentiality,
            integrity=item.integrity,
            availability=item.availability,
        )
        plan.check(asset, where)
        assets[item.ref] = asset
    plan.assets = list(assets.values())
    return assets


def _components(
    plan: _Plan, document: ModelDocument, zones: dict[str, TrustZone], assets: dict[str, Asset]
) -> dict[str, Component]:
    _duplicate_refs(plan, "components", document.components)
    names = _Names(plan, "component")
    components: dict[str, Component] = {}
    for index, item in enumerate(document.components):
        where = _where("components", index, item.name)
        zone = _refs(plan, where, "a trust zone", [item.zone], zones) if item.zone else []
        component = Component(
            project=plan.project,
            name=names.unique(item.name, where),
            kind=item.kind,
            zone=zone[0] if zone else None,
            description=item.description,
            technology=item.technology,
            tags=list(dict.fromkeys(item.tags)),
        )
        plan.check(component, where)
        components[item.ref] = component
        for asset in _refs(plan, where, "assets", item.assets, assets):
            plan.component_assets.append((component, asset))
    plan.components = list(components.values())
    return components


def _flows(
    plan: _Plan, document: ModelDocument, components: dict[str, Component], assets: dict[str, Asset]
) -> dict[str, DataFlow]:
    _duplicate_refs(plan, "flows", document.flows)
    flows: dict[str, DataFlow] = {}
    for index, item in enumerate(document.flows):
        where = _where("flows", index, item.name)
        if item.source == item.destination:
            plan.errors.append(f"{where}: goes from a component to itself ({item.source})")
            continue
        ends = _refs(plan, where, "components", [item.source, item.destination], components)
        if len(ends) != 2:
            continue
        flow = DataFlow(
            project=plan.project,
            source=ends[0],
            destination=ends[1],
            name=item.name.strip(),
            protocol=item.protocol,
            data_carried=item.data_carried,
            is_encrypted=item.is_encrypted,
            is_authenticated=item.is_authenticated,
        )
        plan.check(flow, where)
        flows[item.ref] = flow
        for asset in _refs(plan, where, "assets", item.assets, assets):
            plan.flow_assets.append((flow, asset))
    plan.flows = list(flows.values())
    return flows


def _threats(
    plan: _Plan,
    document: ModelDocument,
    membership: Membership,
    components: dict[str, Component],
    flows: dict[str, DataFlow],
    assets: dict[str, Asset],
) -> dict[str, Threat]:
    _duplicate_refs(plan, "threats", document.threats)
    decides = membership.can(Permission.DECIDE_THREAT_REVIEW)
    targets: dict[str, Component | DataFlow] = {**flows, **components}
    threats: dict[str, Threat] = {}
    for index, item in enumerate(document.threats):
        where = _where("threats", index, item.threat_action or item.threat_source)
        status, reason = _status(plan, where, item, decides)
        threat = Threat(
            project=plan.project,
            number=0,
            created_by=membership.user,
            threat_source=item.threat_source.strip(),
            prerequisites=item.prerequisites.strip(),
            threat_action=item.threat_action.strip(),
            threat_impact=item.threat_impact.strip(),
            impacted_goals=list(dict.fromkeys(item.impacted_goals)),
            stride=list(dict.fromkeys(item.stride)),
            status=status,
            status_reason=reason,
            likelihood=item.likelihood,
        )
        plan.check(threat, where)
        if status == ThreatStatus.REJECTED and not reason:
            plan.errors.append(f"{where}: status_reason: Say why this threat is rejected or not applicable.")
        threats[item.ref] = threat
        for target in _refs(plan, where, "targets", item.targets, targets):
            if isinstance(target, Component):
                plan.threat_components.append((threat, target))
            else:
                plan.threat_flows.append((threat, target))
        for asset in _refs(plan, where, "assets", item.assets, assets):
            plan.threat_assets.append((threat, asset))
    plan.threats = list(threats.values())
    return threats


def _status(plan: _Plan, where: str, item: doc.Threat, decides: bool) -> tuple[str, str]:
    """The status and reason the threat is written with. Accepting or rejecting a threat is a security lead's
    decision, so a file's decision imported by anyone else waits in review for one."""
    status, reason = item.status, item.status_reason.strip()
    if status in DECISION_STATUSES and not decides:
        label = ThreatStatus(status).label.lower()
        because = f" (“{reason}”)" if reason else ""
        plan.warn(
            where,
            f"the file marks it {label}{because}; only a security lead decides that, so it is imported in review.",
        )
        return ThreatStatus.IN_REVIEW, ""
    kept = status_reason_after(status, reason)
    if reason and not kept:
        plan.warn(where, f"its reason “{reason}” explains no decision (it is {status}), so it is kept here.")
    return status, kept


def _controls(plan: _Plan, document: ModelDocument) -> dict[str, Control]:
    _duplicate_refs(plan, "controls", document.controls)
    controls: dict[str, Control] = {}
    for index, item in enumerate(document.controls):
        where = _where("controls", index, item.title)
        control = Control(
            project=plan.project,
            title=item.title.strip(),
            description=item.description,
            kind=item.kind,
            status=item.status,
            ticket_url=item.ticket_url,
        )
        plan.check(control, where)
        controls[item.ref] = control
    plan.controls = list(controls.values())
    return controls


def _links(
    plan: _Plan, document: ModelDocument, threats: dict[str, Threat], controls: dict[str, Control]
) -> None:
    linked: set[tuple[str, str]] = set()
    for index, item in enumerate(document.links):
        where = f"links[{index}]"
        threat = _refs(plan, where, "a threat", [item.threat], threats)
        control = _refs(plan, where, "a control", [item.control], controls)
        if not (threat and control):
            continue
        if (item.threat, item.control) in linked:
            plan.warn(where, "links the same control to the same threat again; the first link is kept.")
            continue
        linked.add((item.threat, item.control))
        link = ThreatControl(threat=threat[0], control=control[0], effectiveness=item.effectiveness)
        plan.check(link, where)
        plan.links.append(link)


def _statements(plan: _Plan) -> list[str]:
    assets: dict[int, list[str]] = {}
    for threat, asset in plan.threat_assets:
        assets.setdefault(id(threat), []).append(asset.name)
    return [
        threat_statement(
            threat_source=threat.threat_source,
            prerequisites=threat.prerequisites,
            threat_action=threat.threat_action,
            threat_impact=threat.threat_impact,
            impacted_goals=[Goal(goal).label.lower() for goal in threat.impacted_goals],
            impacted_assets=assets.get(id(threat), []),
        )
        for threat in plan.threats
    ]


# Replacing ----------------------------------------------------------------------------------------------


def _replaced_parts(project: Project) -> tuple[dict[str, int], list[ScenarioLoss]]:
    """How many parts the project has now, which a replace deletes, and the scenarios its threats carry."""
    dropping = {
        "zones": project.zones.count(),
        "assets": project.assets.count(),
        "components": project.components.count(),
        "flows": project.flows.count(),
        "threats": project.threats.count(),
        "controls": project.controls.count(),
    }
    rows = (
        project.threats.filter(scenarios__isnull=False)
        .order_by("number", "scenarios__risk__number")
        .values_list(
            "number",
            "threat_source",
            "prerequisites",
            "threat_action",
            "threat_impact",
            "scenarios__risk__number",
        )
    )
    losses: dict[int, ScenarioLoss] = {}
    for number, source, prerequisites, action, impact, risk in rows:
        loss = losses.get(number)
        if loss is None:
            statement = threat_statement(
                threat_source=source, prerequisites=prerequisites, threat_action=action, threat_impact=impact
            )
            loss = losses[number] = ScenarioLoss(f"T-{number}", statement, [])
        loss.risks.append(f"R-{risk}")
    return dropping, list(losses.values())


def _loss_warning(loss: ScenarioLoss) -> str:
    risks = ", ".join(loss.risks)
    return f"{loss.threat} of the replaced project leads to {risks}; replacing it drops those scenarios."


def _lock(project: Project) -> None:
    """Hold the project's row until the replace commits, so no one adds to what is being replaced."""
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()


def _clear(project: Project) -> None:
    """Delete every part of the project (the threats' links and scenarios go with them)."""
    for model in (Threat, Control, DataFlow, Component, Asset, TrustZone):
        model._default_manager.filter(project=project).delete()


# Writing ------------------------------------------------------------------------------------------------


def _notes(plan: _Plan, document: ModelDocument) -> str:
    """The warnings and the file's own notes, as the project keeps them; the longest notes are cut short with
    how much was left out (the import's result still lists every warning)."""
    sections = []
    if plan.warnings:
        sections.append(
            "What the import could not keep, or changed:\n" + "\n".join(f"- {w}" for w in plan.warnings)
        )
    if document.notes:
        sections.append("Kept from the file:\n" + "\n\n".join(note.strip() for note in document.notes))
    notes = "\n\n".join(sections)
    if len(notes) <= NOTES_LIMIT:
        return notes
    ending = f"\n… and {len(notes) - NOTES_LIMIT + 200:,} more characters not kept."
    return notes[: NOTES_LIMIT - 200] + ending


def _write(plan: _Plan, membership: Membership) -> None:
    project = plan.project
    if project.pk is None:
        project.save()
    else:
        project.version += 1
        project.save(update_fields=["name", "description", "notes", "version", "updated_at"])
    for level in plan.zone_levels:
        TrustZone.objects.bulk_create(level, batch_size=BATCH)
    Asset.objects.bulk_create(plan.assets, batch_size=BATCH)
    Component.objects.bulk_create(plan.components, batch_size=BATCH)
    DataFlow.objects.bulk_create(plan.flows, batch_size=BATCH)
    for threat, number in zip(plan.threats, _threat_numbers(project, len(plan.threats)), strict=True):
        threat.number = number
    Threat.objects.bulk_create(plan.threats, batch_size=BATCH)
    Control.objects.bulk_create(plan.controls, batch_size=BATCH)
    ThreatControl.objects.bulk_create(plan.links, batch_size=BATCH)
    _through(ComponentAsset, "component", plan.component_assets)
    _through(FlowAsset, "flow", plan.flow_assets)
    _through(ThreatAsset, "threat", plan.threat_assets)
    _through(ThreatComponent, "threat", plan.threat_components, "component")
    _through(ThreatFlow, "threat", plan.threat_flows, "flow")


def _threat_numbers(project: Project, count: int) -> range:
    """The next `count` threat numbers of the project, handed out under its row lock as threat_create does."""
    if not count:
        return range(0)
    Project.objects.filter(pk=project.pk).update(threat_counter=F("threat_counter") + count)
    last: int = Project.objects.values_list("threat_counter", flat=True).get(pk=project.pk)
    project.threat_counter = last
    return range(last - count + 1, last + 1)


def _through(
    model: type[models.Model], owner: str, pairs: list[tuple[Any, Any]], other: str = "asset"
) -> None:
    rows = [model(**{f"{owner}_id": a.pk, f"{other}_id": b.pk}) for a, b in pairs]
    model._default_manager.bulk_create(rows, batch_size=BATCH)

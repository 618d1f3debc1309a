"""Every write to a threat model: projects, trust zones, assets, components, data flows, threats, controls.

The HTML views and the API call these and nothing else. Each write:
- checks what the acting member may do (the role table, and for engineers the project's owning team);
- validates every field (field-level ValidationError) and every reference (it must be of the same project);
- names the version it read, and fails with EditConflict when the row has moved on since;
- runs in one transaction, inside a pghistory context naming the member, so the triggers' history says who;
- tells whoever it concerns in that transaction (projects.notifications): a new owner, and the members who decide
  reviews of threats that go into review.
"""

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from projects import notifications
from projects.models import (
    DECISION_STATUSES,
    Asset,
    Component,
    Control,
    ControlStatus,
    DataFlow,
    Membership,
    Project,
    ProjectStatus,
    Team,
    Threat,
    ThreatControl,
    ThreatStatus,
    TrustZone,
)
from projects.roles import Permission
from projects.threat_library import LibraryEntry, applicable, entry
from projects.webhook_payloads import changed_fields, control_status_data, threat_data
from projects.webhooks import emit, emit_many
from projects.workspace_selectors import Seen, library_keys_present, library_target
from projects.writes import EditConflict as EditConflict
from projects.writes import change, check_member, delete_version, save_version, validate

MAX_ASSET_NAMES = 20
# A bulk change names at most this many objects: a page of the API's largest lists.
MAX_BULK_ITEMS = 200


class StaleObjects(Exception):
    """Some objects of a bulk change moved on since the person read them, or went; nothing was written.

    `stale` holds them with `version` set to the current one (None for a deleted object)."""

    def __init__(self, stale: Sequence[Any]) -> None:
        self.stale = list(stale)
        names = listing([_name(obj) for obj in self.stale])
        verb = "was" if len(self.stale) == 1 else "were"
        super().__init__(
            f"{names} {verb} changed or deleted by someone else since you read {_them(self.stale)}, "
            "so nothing was changed."
        )


class DecisionRefused(PermissionDenied):
    """A change that only a security lead may make: deciding a threat (accepted, rejected) or undoing that."""


class DecidedThreats(DecisionRefused):
    """Threats of a bulk change that carry a decision the member may not undo; `threats` names them."""

    def __init__(self, threats: Sequence[Threat]) -> None:
        self.threats = list(threats)
        verb = "is" if len(self.threats) == 1 else "are"
        super().__init__(
            f"{listing([t.reference for t in self.threats])} {verb} accepted or rejected; only a security lead "
            f"can change {_them(self.threats)}."
        )


def listing(names: Sequence[str]) -> str:
    """Names as a sentence lists them: "T-3", "T-3 and T-9", "T-1, T-3 and T-9"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _them(objects: Sequence[object]) -> str:
    return "it" if len(objects) == 1 else "them"


def _name(obj: Any) -> str:
    """How messages name an object: a threat by its reference (T-12), anything else by its name in quotes."""
    return obj.reference if isinstance(obj, Threat) else f"“{obj}”"


# Access ---------------------------------------------------------------------------------------------------


def can_edit_project(membership: Membership, project: Project) -> bool:
    """Security leads and owners edit every project; engineers the projects of their own teams."""
    if project.organisation_id != membership.organisation_id:
        return False
    if membership.can(Permission.EDIT_ALL_PROJECTS):
        return True
    return (
        membership.can(Permission.EDIT_TEAM_PROJECTS) and membership.teams.filter(pk=project.team_id).exists()
    )


def require_edit(membership: Membership, project: Project) -> None:
    if not can_edit_project(membership, project):
        raise PermissionDenied(f"Only the {project.team} team and security leads can change {project}.")


def _require_decision(membership: Membership, status: str) -> None:
    if status in DECISION_STATUSES and not membership.can(Permission.DECIDE_THREAT_REVIEW):
        label = ThreatStatus(status).label.lower()
        raise DecisionRefused(f"Only a security lead can set a threat to, or reopen a threat from, {label}.")


# Plumbing -------------------------------------------------------------------------------------------------


def _assign(instance: models.Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


def _save_seen(model: type[models.Model], seen: Sequence[Seen[Any]], values: dict[str, Any]) -> None:
    """Write the same values to every object, each only if it is still at the version the person saw, and bump
    each version: in two queries however many there are. Call inside the caller's transaction: the rows are
    locked and checked first, and StaleObjects names every one that has moved on (or gone), writing nothing."""
    if not seen:
        return
    rows = model._default_manager.filter(pk__in=[item.obj.pk for item in seen])
    now = dict(rows.select_for_update().values_list("pk", "version"))
    stale = [item.obj for item in seen if now.get(item.obj.pk) != item.version]
    if stale:
        for obj in stale:
            obj.version = now.get(obj.pk)
        raise StaleObjects(stale)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values = {**values, "updated_at": timezone.now()}
    rows.update(**values, version=F("version") + 1)
    for item in seen:
        _assign(item.obj, values)
        item.obj.version = item.version + 1


def _check_seen(project: Project, field: str, seen: Sequence[Seen[Any]]) -> None:
    """The objects of a bulk change: at least one, at most MAX_BULK_ITEMS, of this project, each still at the
    version the person saw (as read in this request; _save_seen checks again as it writes)."""
    if not seen:
        raise ValidationError({field: "Tick at least one first."})
    if len(seen) > MAX_BULK_ITEMS:
        raise ValidationError({field: f"Change at most {MAX_BULK_ITEMS} at once."})
    _same_project(project, field, [item.obj for item in seen])
    stale = [item.obj for item in seen if item.obj.version != item.version]
    if stale:
        raise StaleObjects(stale)


def _other_fields(model: type[models.Model], values: dict[str, Any]) -> list[str]:
    """The model's fields other than these: what a validation of only these values leaves out."""
    return [field.name for field in model._meta.concrete_fields if field.name not in values]


def _same_project(project: Project, field: str, objects: Iterable[Any]) -> list[Any]:
    objects = list(objects)
    if any(obj.project_id != project.pk for obj in objects):
        raise ValidationError({field: f"Choose from the items of {project}."})
    return objects


def _integrity_as_field_error(error: IntegrityError, field: str, message: str) -> ValidationError:
    """A unique constraint lost a race with a concurrent write: report it as the form would have."""
    return (
        ValidationError({field: message}) if "unique" in str(error).lower() else ValidationError(str(error))
    )


# Projects -------------------------------------------------------------------------------------------------

# What a member writes. `last_reviewed_on` is not among them: it is the day of the model's latest approval, set by
# projects.review_services.model_review_decide and read by the dashboards' "not reviewed in 90 days".
PROJECT_FIELDS = ("name", "description", "criticality", "data_classification", "status")
LAST_REVIEWED_ON_IS_READ_ONLY = (
    "The day of the latest review is set when a security lead or an owner approves the model; it cannot be "
    "written."
)


def _check_team(membership: Membership, team: Team) -> None:
    if team.organisation_id != membership.organisation_id:
        raise ValidationError({"team": "Choose a team of this organisation."})
    if not membership.can(Permission.EDIT_ALL_PROJECTS) and not membership.teams.filter(pk=team.pk).exists():
        raise ValidationError({"team": "Choose one of your own teams."})


def _check_status(project: Project, before: str | None, status: str) -> None:
    """A project goes into review only by submitting its model for review, and leaves it only when a security lead
    or an owner approves the model or asks for changes (projects.review_services): so "in review" always means a
    model waits for sign-off, and "active, reviewed today" means someone signed it off. A project in review with
    no model waiting (put there before this rule held, or by a seeded estate) may leave it."""
    if status == before:
        return
    waiting = (
        project.reviews.filter(decision="").select_related("submitted_by").first() if project.pk else None
    )
    if waiting is not None:
        since = f"since {timezone.localdate(waiting.submitted_at):%-d %b %Y}"
        if waiting.submitted_by is not None:
            since += f" (submitted by {waiting.submitted_by.display_name})"
        then = " Archive it once the review is decided." if status == ProjectStatus.ARCHIVED else ""
        raise ValidationError(
            {
                "status": f"{project} has been waiting for review {since}: it stays in review until a security "
                f"lead or an owner approves its model or asks for changes on its Review page.{then}"
            }
        )
    if status == ProjectStatus.IN_REVIEW:
        raise ValidationError(
            {
                "status": "A project is in review only while its model waits for sign-off: submit the model "
                "for review on the project's Review page instead."
            }
        )


def project_create(*, membership: Membership, team: Team, name: str, **fields: Any) -> Project:
    if not membership.can(Permission.EDIT_TEAM_PROJECTS):
        raise PermissionDenied("Your role cannot create projects.")
    _check_team(membership, team)
    if "last_reviewed_on" in fields:
        raise ValidationError({"last_reviewed_on": LAST_REVIEWED_ON_IS_READ_ONLY})
    project = Project(organisation=membership.organisation, team=team, name=name.strip(), **fields)
    validate(project)
    _check_status(project, None, project.status)
    with change(membership):
        try:
            project.save()
        except IntegrityError as error:
            raise _integrity_as_field_error(
                error, "name", "A project with this name already exists."
            ) from None
    return project


def project_update(*, membership: Membership, project: Project, version: int, **fields: Any) -> Project:
    require_edit(membership, project)
    if "last_reviewed_on" in fields:
        raise ValidationError({"last_reviewed_on": LAST_REVIEWED_ON_IS_READ_ONLY})
    if "team" in fields and fields["team"].pk != project.team_id:
        _check_team(membership, fields["team"])
    _assign(project, fields)
    validate(project)
    with change(membership):
        if "status" in fields:
            # Locked as a review locks it, and at the version read: a submission or a decision cannot slip
            # between this check and the write.
            current = Project.objects.select_for_update().filter(pk=project.pk).first()
            if current is None or current.version != version:
                raise EditConflict(current)
            _check_status(current, current.status, fields["status"])
        try:
            save_version(project, version, list(fields))
        except IntegrityError as error:
            raise _integrity_as_field_error(
                error, "name", "A project with this name already exists."
            ) from None
    return project


def project_delete(*, membership: Membership, project: Project, version: int) -> None:
    require_edit(membership, project)
    with change(membership):
        delete_version(project, version)


# Trust zones, assets, components, flows: parts of a project ------------------------------------------------


def _check_zone_parent(zone: TrustZone) -> None:
    parent = zone.parent
    seen = {zone.pk}
    while parent is not None:
        if parent.project_id != zone.project_id:
            raise ValidationError({"parent": "Choose a zone of this project."})
        if parent.pk in seen:
            raise ValidationError({"parent": "A zone cannot sit inside itself."})
        seen.add(parent.pk)
        parent = parent.parent


def zone_create(*, membership: Membership, project: Project, **fields: Any) -> TrustZone:
    require_edit(membership, project)
    zone = TrustZone(project=project, **fields)
    _check_zone_parent(zone)
    validate(zone)
    with change(membership):
        zone.save()
    return zone


def zone_update(*, membership: Membership, zone: TrustZone, version: int, **fields: Any) -> TrustZone:
    require_edit(membership, zone.project)
    _assign(zone, fields)
    _check_zone_parent(zone)
    validate(zone)
    with change(membership):
        save_version(zone, version, list(fields))
    return zone


def zone_delete(*, membership: Membership, zone: TrustZone, version: int) -> None:
    require_edit(membership, zone.project)
    with change(membership):
        delete_version(zone, version)


def asset_create(*, membership: Membership, project: Project, **fields: Any) -> Asset:
    require_edit(membership, project)
    asset = Asset(project=project, **fields)
    validate(asset)
    with change(membership):
        asset.save()
    return asset


def asset_update(*, membership: Membership, asset: Asset, version: int, **fields: Any) -> Asset:
    require_edit(membership, asset.project)
    _assign(asset, fields)
    validate(asset)
    with change(membership):
        save_version(asset, version, list(fields))
    return asset


def asset_delete(*, membership: Membership, asset: Asset, version: int) -> None:
    require_edit(membership, asset.project)
    with change(membership):
        delete_version(asset, version)


def assets_named(
    *, project: Project, names: Iterable[str], field: str = "impacted_asset_names"
) -> list[Asset]:
    """The project's assets with these names, creating the missing ones: typed-in names become assets.

    Call inside the caller's transaction. Matching ignores case, so "Card data" finds "card data".
    """
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if len(wanted) > MAX_ASSET_NAMES:
        raise ValidationError({field: f"Name at most {MAX_ASSET_NAMES} assets."})
    max_length = Asset._meta.get_field("name").max_length or 200
    if any(len(name) > max_length or "\x00" in name for name in wanted):
        raise ValidationError(
            {field: f"Each asset name must be plain text of at most {max_length} characters."}
        )
    lowered = [name.lower() for name in wanted]
    found = project.assets.alias(key=Lower("name")).filter(key__in=lowered)
    existing: dict[str, Asset] = {asset.name.lower(): asset for asset in found}
    for name in wanted:
        if name.lower() not in existing:
            existing[name.lower()] = Asset.objects.create(project=project, name=name)
    return [existing[name.lower()] for name in wanted]


COMPONENT_FIELDS = ("name", "kind", "zone", "description", "technology", "tags")


def _check_component_refs(component: Component) -> None:
    if component.zone is not None and component.zone.project_id != component.project_id:
        raise ValidationError({"zone": "Choose a zone of this project."})


def component_create(
    *, membership: Membership, project: Project, assets: Iterable[Asset] = (), **fields: Any
) -> Component:
    require_edit(membership, project)
    component = Component(project=project, **fields)
    _check_component_refs(component)
    validate(component)
    assets = _same_project(project, "assets", assets)
    with change(membership):
        component.save()
        component.assets.set(assets)
    return component


def component_update(
    *,
    membership: Membership,
    component: Component,
    version: int,
    assets: Iterable[Asset] | None = None,
    **fields: Any,
) -> Component:
    require_edit(membership, component.project)
    _assign(component, fields)
    _check_component_refs(component)
    validate(component)
    with change(membership):
        save_version(component, version, list(fields))
        if assets is not None:
            component.assets.set(_same_project(component.project, "assets", assets))
    return component


def component_delete(*, membership: Membership, component: Component, version: int) -> None:
    require_edit(membership, component.project)
    with change(membership):
        delete_version(component, version)


def _check_flow_refs(flow: DataFlow) -> None:
    errors = {}
    for field in ("source", "destination"):
        end = getattr(flow, field, None)
        if end is not None and end.project_id != flow.project_id:
            errors[field] = "Choose a component of this project."
    if not errors and flow.source_id and flow.source_id == flow.destination_id:
        errors["destination"] = "A flow goes between two different components."
    if errors:
        raise ValidationError(errors)


def flow_create(
    *, membership: Membership, project: Project, assets: Iterable[Asset] = (), **fields: Any
) -> DataFlow:
    require_edit(membership, project)
    flow = DataFlow(project=project, **fields)
    _check_flow_refs(flow)
    validate(flow)
    assets = _same_project(project, "assets", assets)
    with change(membership):
        flow.save()
        flow.assets.set(assets)
    return flow


def flow_update(
    *,
    membership: Membership,
    flow: DataFlow,
    version: int,
    assets: Iterable[Asset] | None = None,
    **fields: Any,
) -> DataFlow:
    require_edit(membership, flow.project)
    _assign(flow, fields)
    _check_flow_refs(flow)
    validate(flow)
    with change(membership):
        save_version(flow, version, list(fields))
        if assets is not None:
            flow.assets.set(_same_project(flow.project, "assets", assets))
    return flow


def flow_delete(*, membership: Membership, flow: DataFlow, version: int) -> None:
    require_edit(membership, flow.project)
    with change(membership):
        delete_version(flow, version)


# Threats --------------------------------------------------------------------------------------------------

THREAT_FIELDS = (
    "threat_source",
    "prerequisites",
    "threat_action",
    "threat_impact",
    "impacted_goals",
    "stride",
    "status",
    "status_reason",
    "owner",
)


def _next_threat_number(project: Project) -> int:
    # Counting under a row lock hands out every number once, even to concurrent writers.
    Project.objects.filter(pk=project.pk).update(threat_counter=F("threat_counter") + 1)
    number: int = Project.objects.values_list("threat_counter", flat=True).get(pk=project.pk)
    return number


@dataclass
class ThreatLinks:
    """The many-valued parts of a threat; None leaves a part as it is (on update)."""

    impacted_assets: Iterable[Asset] | None = None
    impacted_asset_names: Iterable[str] | None = None
    target_components: Iterable[Component] | None = None
    target_flows: Iterable[DataFlow] | None = None


def _apply_links(threat: Threat, links: ThreatLinks) -> None:
    project = threat.project
    if links.impacted_assets is not None or links.impacted_asset_names is not None:
        assets = _same_project(project, "impacted_assets", links.impacted_assets or [])
        assets += assets_named(project=project, names=links.impacted_asset_names or [])
        threat.impacted_assets.set(list(dict.fromkeys(assets)))
    if links.target_components is not None:
        threat.target_components.set(_same_project(project, "target_components", links.target_components))
    if links.target_flows is not None:
        threat.target_flows.set(_same_project(project, "target_flows", links.target_flows))


def _check_links(project: Project, links: ThreatLinks) -> None:
    """Fail before writing anything, so a bad reference leaves no half-written threat behind."""
    for field in ("impacted_assets", "target_components", "target_flows"):
        value = getattr(links, field)
        if value is not None:
            setattr(links, field, _same_project(project, field, value))


# The parts of a threat a decision (accepted, rejected) is about.
DECIDED_FIELDS = (
    "threat_source",
    "prerequisites",
    "threat_action",
    "threat_impact",
    "impacted_goals",
    "stride",
    "status_reason",
)


def status_reason_after(status: str, reason: str | None, before: Threat | None = None) -> str:
    """The status reason a threat keeps with its new status; every save of a status goes through here.

    A reason explains a decision (accepted, rejected / not applicable), so any other status has none: an old
    rejection reason does not linger on a reopened threat. A reason given (None: not given) is the new one; with
    none given, a threat that stays in its decision keeps its reason and one that moves into a decision has none
    yet (which a rejection then refuses: it needs one)."""
    if status not in DECISION_STATUSES:
        return ""
    if reason is not None:
        return reason.strip()
    return before.status_reason if before is not None and before.status == status else ""


def threat_create(
    *, membership: Membership, project: Project, links: ThreatLinks | None = None, **fields: Any
) -> Threat:
    require_edit(membership, project)
    status = fields.get("status", ThreatStatus.IDENTIFIED)
    _require_decision(membership, status)
    links = links or ThreatLinks()
    _check_links(project, links)
    check_member(project.organisation_id, fields.get("owner"))
    fields["status_reason"] = status_reason_after(status, fields.get("status_reason"))
    threat = Threat(project=project, number=0, created_by=membership.user, **fields)
    validate(threat, exclude=["number"])
    with change(membership):
        threat.number = _next_threat_number(project)
        threat.save()
        _apply_links(threat, links)
        emit(
            organisation=project.organisation_id,
            event="threat.created",
            data=lambda: threat_data(threat, actor=membership.user),
        )
        notifications.owner_assigned(membership=membership, obj=threat, previous_owner_id=None)
        if threat.status == ThreatStatus.IN_REVIEW:
            notifications.threats_sent_for_review(membership=membership, project=project, threats=[threat])
    return threat


def threat_update(
    *, membership: Membership, threat: Threat, version: int, links: ThreatLinks | None = None, **fields: Any
) -> Threat:
    require_edit(membership, threat.project)
    if "status" in fields and fields["status"] != threat.status:
        # Closing a threat without a fix, or reopening one so closed, is a security lead's decision.
        _require_decision(membership, fields["status"])
        _require_decision(membership, threat.status)
    if "status" in fields or "status_reason" in fields:
        status = fields.get("status", threat.status)
        fields["status_reason"] = status_reason_after(status, fields.get("status_reason"), threat)
    changed = [name for name in DECIDED_FIELDS if name in fields and fields[name] != getattr(threat, name)]
    if changed or (
        links and (links.impacted_assets or links.impacted_asset_names or links.target_components)
    ):
        # What a lead accepted or rejected is not rewritten under the decision; only its owner may change.
        _require_decision(membership, threat.status)
    links = links or ThreatLinks()
    _check_links(threat.project, links)
    changed = changed_fields(threat, fields, links)
    if "owner" in fields:
        check_member(threat.project.organisation_id, fields["owner"])
    previous_owner_id, previous_status = threat.owner_id, threat.status
    _assign(threat, fields)
    validate(threat)
    with change(membership):
        save_version(threat, version, list(fields))
        _apply_links(threat, links)
        if changed:
            emit(
                organisation=threat.project.organisation_id,
                event="threat.changed",
                data=lambda: threat_data(threat, actor=membership.user, changed=changed),
            )
        notifications.owner_assigned(membership=membership, obj=threat, previous_owner_id=previous_owner_id)
        if threat.status == ThreatStatus.IN_REVIEW and previous_status != ThreatStatus.IN_REVIEW:
            notifications.threats_sent_for_review(
                membership=membership, project=threat.project, threats=[threat]
            )
    return threat


def threats_set_status(
    *,
    membership: Membership,
    project: Project,
    seen: Sequence[Seen[Threat]],
    status: str,
    reason: str = "",
) -> list[Threat]:
    """Set the status of several threats of the project, each as the person saw it on the list: all of them,
    or none. StaleObjects names those changed since; DecidedThreats those whose decision the member may not
    undo. A blank reason is no reason given (see status_reason_after). Threats that go into review are told to
    the members who decide reviews: one notification each, however many threats."""
    require_edit(membership, project)
    if status not in ThreatStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(ThreatStatus.labels)}."})
    _require_decision(membership, status)
    _check_seen(project, "threats", seen)
    if not membership.can(Permission.DECIDE_THREAT_REVIEW):
        decided = [item.obj for item in seen if item.obj.status in DECISION_STATUSES]
        if decided:
            raise DecidedThreats(decided)
    changes = []
    for item in seen:
        new_reason = status_reason_after(status, reason or None, item.obj)
        if (item.obj.status, item.obj.status_reason) != (status, new_reason):
            changes.append((item, new_reason))
    if not changes:
        return [item.obj for item in seen]
    # Every change writes the same two values (a reason is kept only where nothing changes), and the checks on
    # them read nothing else, so validating one threat validates them all: in a constant number of queries.
    values = {"status": status, "status_reason": changes[0][1]}
    sample = copy.copy(changes[0][0].obj)
    _assign(sample, values)
    validate(sample, exclude=_other_fields(Threat, values))
    changed = {item.obj.pk: changed_fields(item.obj, values) for item, _ in changes}
    entering = [item.obj for item, _ in changes if item.obj.status != status]
    with change(membership):
        _save_seen(Threat, [item for item, _ in changes], values)
        emit_many(
            organisation=project.organisation_id,
            event="threat.changed",
            items=(
                threat_data(item.obj, actor=membership.user, changed=changed[item.obj.pk])
                for item, _ in changes
            ),
        )
        if status == ThreatStatus.IN_REVIEW:
            notifications.threats_sent_for_review(membership=membership, project=project, threats=entering)
    return [item.obj for item in seen]


def threat_delete(*, membership: Membership, threat: Threat, version: int) -> None:
    require_edit(membership, threat.project)
    _require_decision(membership, threat.status)
    with change(membership):
        delete_version(threat, version)


def library_threats_create(
    *,
    membership: Membership,
    project: Project,
    keys: Iterable[str],
    component: Component | None = None,
    flow: DataFlow | None = None,
) -> list[Threat]:
    """Create a threat from each chosen library entry, aimed at the component or flow it was suggested for."""
    require_edit(membership, project)
    target: Component | DataFlow | None = component or flow
    if target is None or target.project_id != project.pk:
        raise ValidationError({"target": "Choose a component or data flow of this project."})
    try:
        entries: list[LibraryEntry] = [entry(key) for key in dict.fromkeys(keys)]
    except KeyError as error:
        raise ValidationError({"keys": f"{error.args[0]} is not in the threat library."}) from None
    fitting = {item.key for item in applicable(library_target(component=component, flow=flow))}
    unfit = [item.key for item in entries if item.key not in fitting]
    if unfit:
        raise ValidationError({"keys": f"{', '.join(unfit)} does not apply to {target}."})
    created = []
    with change(membership):
        present = library_keys_present(project, component=component, flow=flow)
        for item in entries:
            if item.key in present:
                continue
            threat = Threat(
                project=project,
                number=_next_threat_number(project),
                created_by=membership.user,
                threat_source=item.threat_source,
                prerequisites=item.prerequisites,
                threat_action=item.threat_action,
                threat_impact=item.threat_impact,
                impacted_goals=list(item.impacted_goals),
                stride=list(item.stride),
                library_key=item.key,
            )
            threat.save()
            if component is not None:
                threat.target_components.set([component])
            if flow is not None:
                threat.target_flows.set([flow])
            created.append(threat)
    return created


# Controls -------------------------------------------------------------------------------------------------

CONTROL_FIELDS = (
    "title",
    "description",
    "kind",
    "status",
    "owner",
    "due_on",
    "cost_per_year",
    "effort_days",
    "ticket_url",
)


def control_create(*, membership: Membership, project: Project, **fields: Any) -> Control:
    require_edit(membership, project)
    check_member(project.organisation_id, fields.get("owner"))
    control = Control(project=project, **fields)
    validate(control)
    with change(membership):
        control.save()
        notifications.owner_assigned(membership=membership, obj=control, previous_owner_id=None)
    return control


def control_update(*, membership: Membership, control: Control, version: int, **fields: Any) -> Control:
    require_edit(membership, control.project)
    previous_status = control.status
    if "owner" in fields:
        check_member(control.project.organisation_id, fields["owner"])
    previous_owner_id = control.owner_id
    _assign(control, fields)
    validate(control)
    with change(membership):
        save_version(control, version, list(fields))
        if control.status != previous_status:
            emit(
                organisation=control.project.organisation_id,
                event="control.status_changed",
                data=lambda: control_status_data(control, previous=previous_status, actor=membership.user),
            )
        notifications.owner_assigned(membership=membership, obj=control, previous_owner_id=previous_owner_id)
    return control


def controls_set_status(
    *, membership: Membership, project: Project, seen: Sequence[Seen[Control]], status: str
) -> list[Control]:
    """Set the status of several controls of the project, each as the person saw it on the list: all of them,
    or none (StaleObjects names those changed since)."""
    require_edit(membership, project)
    if status not in ControlStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(ControlStatus.labels)}."})
    _check_seen(project, "controls", seen)
    changing = [item for item in seen if item.obj.status != status]
    if not changing:
        return [item.obj for item in seen]
    values = {"status": status}
    sample = copy.copy(changing[0].obj)
    _assign(sample, values)
    validate(sample, exclude=_other_fields(Control, values))  # the same value for all: see threats_set_status
    previous = {item.obj.pk: item.obj.status for item in changing}
    with change(membership):
        _save_seen(Control, changing, values)
        emit_many(
            organisation=project.organisation_id,
            event="control.status_changed",
            items=(
                control_status_data(item.obj, previous=previous[item.obj.pk], actor=membership.user)
                for item in changing
            ),
        )
    return [item.obj for item in seen]


def control_delete(*, membership: Membership, control: Control, version: int) -> None:
    require_edit(membership, control.project)
    with change(membership):
        delete_version(control, version)


def control_link(
    *, membership: Membership, control: Control, threat: Threat, effectiveness: int
) -> ThreatControl:
    require_edit(membership, control.project)
    if threat.project_id != control.project_id:
        raise ValidationError({"threat": "Choose a threat of the control's project."})
    link = ThreatControl(control=control, threat=threat, effectiveness=effectiveness)
    validate(link)
    with change(membership):
        try:
            link.save()
        except IntegrityError as error:
            raise _integrity_as_field_error(
                error, "threat", "This control is already linked to that threat."
            ) from None
    return link


def control_link_update(
    *, membership: Membership, link: ThreatControl, version: int, effectiveness: int
) -> ThreatControl:
    require_edit(membership, link.control.project)
    link.effectiveness = effectiveness
    validate(link)
    with change(membership):
        save_version(link, version, ["effectiveness"])
    return link


def control_unlink(*, membership: Membership, link: ThreatControl, version: int) -> None:
    require_edit(membership, link.control.project)
    with change(membership):
        delete_version(link, version)


def control_create_and_link(
    *, membership: Membership, threat: Threat, effectiveness: int, **fields: Any
) -> ThreatControl:
    """Create a control and link it to the threat in one step: both are written, or neither."""
    project = threat.project
    require_edit(membership, project)
    check_member(project.organisation_id, fields.get("owner"))
    control = Control(project=project, **fields)
    validate(control)
    link = ThreatControl(control=control, threat=threat, effectiveness=effectiveness)
    validate(link, exclude=["control"])
    with change(membership):
        control.save()
        link.control = control
        link.save()
        notifications.owner_assigned(membership=membership, obj=control, previous_owner_id=None)
    return link


# Threat-library suggestions, reviewed ----------------------------------------------------------------------

NOT_APPLICABLE_REASON = "Not applicable to this target (threat library review)."


# How effective a library entry's suggested control is taken to be until the team says otherwise.
SUGGESTED_EFFECTIVENESS = 50


@dataclass(frozen=True)
class LibraryReview:
    created: list[Threat]
    not_applicable: list[Threat]
    controls: list[Control]  # the suggested controls linked to the created threats (new or already there)


def library_suggestions_apply(
    *,
    membership: Membership,
    project: Project,
    keys: Iterable[str] = (),
    not_applicable: Iterable[str] = (),
    reason: str = "",
    with_controls: bool = False,
    component: Component | None = None,
    flow: DataFlow | None = None,
) -> LibraryReview:
    """Create the chosen library entries as threats, and record the others a security lead marks not
    applicable as rejected threats (so they are not offered again); all of it, or nothing.

    With `with_controls`, each created threat is linked to its entry's suggested control: the project's
    control of that title when there is one, else a new proposed control.
    """
    keys, not_applicable = list(dict.fromkeys(keys)), list(dict.fromkeys(not_applicable))
    if not_applicable:
        _require_decision(membership, ThreatStatus.REJECTED)
    both = set(keys) & set(not_applicable)
    if both:
        raise ValidationError(
            {"not_applicable": "Choose either to create a threat or to mark it not applicable, not both."}
        )
    reason = reason.strip() or NOT_APPLICABLE_REASON
    if "\x00" in reason or len(reason) > 2_000:
        raise ValidationError({"reason": "Give a plain-text reason of at most 2000 characters."})
    with change(membership):
        created = library_threats_create(
            membership=membership, project=project, keys=keys, component=component, flow=flow
        )
        dismissed = library_threats_create(
            membership=membership, project=project, keys=not_applicable, component=component, flow=flow
        )
        for threat in dismissed:
            threat.status, threat.status_reason = ThreatStatus.REJECTED, reason
            save_version(threat, threat.version, ["status", "status_reason"])
        controls = _link_suggested_controls(project, created) if with_controls else []
        emit_many(
            organisation=project.organisation_id,
            event="threat.created",
            items=(threat_data(threat, actor=membership.user) for threat in created),
        )
    return LibraryReview(created=created, not_applicable=dismissed, controls=controls)


def _link_suggested_controls(project: Project, threats: list[Threat]) -> list[Control]:
    """Inside the caller's transaction: link each library threat to its entry's suggested control."""
    existing = {control.title.casefold(): control for control in project.controls.all()}
    linked: dict[int, Control] = {}
    for threat in threats:
        suggested = entry(threat.library_key).control
        control = existing.get(suggested.title.casefold())
        if control is None:
            control = Control(
                project=project,
                title=suggested.title,
                description=suggested.description,
                kind=suggested.kind,
                status=ControlStatus.PROPOSED,
            )
            validate(control)
            control.save()
            existing[suggested.title.casefold()] = control
        link = ThreatControl(threat=threat, control=control, effectiveness=SUGGESTED_EFFECTIVENESS)
        validate(link)
        link.save()
        linked[control.pk] = control
    return list(linked.values())

"""Reads for imports and exports: where an import may go, and a project read back into the neutral model
document, which each export writes in its tool's format.

Lookups start from the member's organisation. A project to export comes from the member's own lookup
(projects.workspace_selectors.project_of); every part is read in a fixed number of queries, whatever the size
of the model.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Model, QuerySet

from projects.interop import document as doc
from projects.interop.document import ModelDocument
from projects.models import (
    ComponentAsset,
    DataFlow,
    FlowAsset,
    Membership,
    Organisation,
    Project,
    Team,
    ThreatAsset,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
)
from projects.roles import Permission


def first_team(organisation: Organisation) -> Team | None:
    """Where an import goes when no team is named: the organisation's first team (the one made first)."""
    return organisation.teams.order_by("created_at", "pk").first()


def team_named(organisation: Organisation, reference: str) -> Team | None:
    """A team of the organisation by its slug, or by its id given in digits."""
    teams = organisation.teams.all()
    found = teams.filter(slug=reference).first()
    if found is None and reference.isascii() and reference.isdigit():
        found = teams.filter(pk=int(reference)).first()
    return found


def import_teams(membership: Membership) -> QuerySet[Team]:
    """The teams the member may import a project into: every team for security leads, else their own."""
    if membership.can(Permission.EDIT_ALL_PROJECTS):
        return membership.organisation.teams.order_by("name")
    return membership.teams.order_by("name")


def replaceable_projects(membership: Membership) -> QuerySet[Project]:
    """The projects whose model the member may replace: those they may edit."""
    projects = Project.objects.filter(organisation=membership.organisation_id).select_related(
        "team", "organisation"
    )
    if membership.can(Permission.EDIT_ALL_PROJECTS):
        return projects.order_by("name")
    if not membership.can(Permission.EDIT_TEAM_PROJECTS):
        return projects.none()
    return projects.filter(team__in=membership.teams.all()).order_by("name")


def project_in(organisation: Organisation, project_id: int) -> Project | None:
    """A project of the organisation (the import then checks the member may replace it)."""
    return (
        Project.objects.filter(organisation=organisation, pk=project_id)
        .select_related("team", "organisation")
        .first()
    )


def project_document(project: Project) -> ModelDocument:
    """The project's model: zones, assets, components, flows, threats, controls and their links. Parts refer to
    each other by refs made of their kind and id (``component-12``), which are stable from one export to the
    next."""
    component_assets = _pairs(ComponentAsset, "component", "asset", project)
    flow_assets = _pairs(FlowAsset, "flow", "asset", project)
    threat_assets = _pairs(ThreatAsset, "threat", "asset", project)
    threat_components = _pairs(ThreatComponent, "threat", "component", project)
    threat_flows = _pairs(ThreatFlow, "threat", "flow", project)
    return ModelDocument(
        format="",
        name=project.name,
        description=project.description,
        zones=[
            doc.Zone(
                ref=_ref("zone", zone.pk),
                name=zone.name,
                trust_level=zone.trust_level,
                parent=_ref("zone", zone.parent_id),
                description=zone.description,
            )
            for zone in project.zones.order_by("trust_level", "name", "pk")
        ],
        assets=[
            doc.Asset(
                ref=_ref("asset", asset.pk),
                name=asset.name,
                kind=asset.kind,
                description=asset.description,
                classification=asset.classification,
                confidentiality=asset.confidentiality,
                integrity=asset.integrity,
                availability=asset.availability,
            )
            for asset in project.assets.order_by("name", "pk")
        ],
        components=[
            doc.Component(
                ref=_ref("component", component.pk),
                name=component.name,
                kind=component.kind,
                zone=_ref("zone", component.zone_id),
                description=component.description,
                technology=component.technology,
                tags=list(component.tags),
                assets=[_ref("asset", pk) for pk in component_assets[component.pk]],
            )
            for component in project.components.order_by("name", "pk")
        ],
        flows=[
            doc.Flow(
                ref=_ref("flow", flow.pk),
                name=flow.name,
                source=_ref("component", flow.source_id),
                destination=_ref("component", flow.destination_id),
                protocol=flow.protocol,
                data_carried=flow.data_carried,
                is_encrypted=flow.is_encrypted,
                is_authenticated=flow.is_authenticated,
                assets=[_ref("asset", pk) for pk in flow_assets[flow.pk]],
            )
            for flow in DataFlow.objects.filter(project=project).order_by("name", "pk")
        ],
        threats=[
            doc.Threat(
                ref=_ref("threat", threat.pk),
                threat_source=threat.threat_source,
                threat_action=threat.threat_action,
                prerequisites=threat.prerequisites,
                threat_impact=threat.threat_impact,
                impacted_goals=list(threat.impacted_goals),
                assets=[_ref("asset", pk) for pk in threat_assets[threat.pk]],
                stride=list(threat.stride),
                status=threat.status,
                status_reason=threat.status_reason,
                likelihood=threat.likelihood,
                targets=[_ref("component", pk) for pk in threat_components[threat.pk]]
                + [_ref("flow", pk) for pk in threat_flows[threat.pk]],
            )
            for threat in project.threats.order_by("number")
        ],
        controls=[
            doc.Control(
                ref=_ref("control", control.pk),
                title=control.title,
                description=control.description,
                kind=control.kind,
                status=control.status,
                ticket_url=control.ticket_url,
            )
            for control in project.controls.order_by("title", "pk")
        ],
        links=[
            doc.Link(
                threat=_ref("threat", threat), control=_ref("control", control), effectiveness=effectiveness
            )
            for threat, control, effectiveness in ThreatControl.objects.filter(control__project=project)
            .order_by("threat__number", "control__title", "pk")
            .values_list("threat_id", "control_id", "effectiveness")
        ],
    )


def _ref(kind: str, pk: int | None) -> str:
    return f"{kind}-{pk}" if pk is not None else ""


def _pairs(model: type[Model], owner: str, other: str, project: Project) -> defaultdict[int, list[int]]:
    """The links of one many-to-many of the project's parts, in one query: owner id → the other ids, in order."""
    pairs: defaultdict[int, list[int]] = defaultdict(list)
    rows = (
        model._default_manager.filter(**{f"{owner}__project": project})
        .order_by(f"{other}__name", f"{other}_id")
        .values_list(f"{owner}_id", f"{other}_id")
    )
    for owner_id, other_id in rows:
        pairs[owner_id].append(other_id)
    return pairs

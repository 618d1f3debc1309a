"""A small threat model owned by the cast's payments team, and the URLs and headers of the workspace API."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from projects.api_workspace import etag
from projects.models import (
    Asset,
    Component,
    ComponentKind,
    Control,
    DataFlow,
    Project,
    Threat,
    ThreatControl,
    TrustLevel,
    TrustZone,
    Versioned,
)
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
    TrustZoneFactory,
)


@dataclass
class Workspace:
    project: Project
    zone: TrustZone
    asset: Asset
    component: Component
    store: Component
    flow: DataFlow
    threat: Threat
    control: Control
    link: ThreatControl


def build_workspace(cast: Cast, name: str = "Checkout") -> Workspace:
    project = ProjectFactory.create(team=cast.team, name=name)
    zone = TrustZoneFactory.create(project=project, name="Payments VPC", trust_level=TrustLevel.HIGH)
    asset = AssetFactory.create(project=project, name="Card data")
    component = ComponentFactory.create(
        project=project, name="Checkout API", zone=zone, technology="Django REST over HTTPS"
    )
    store = ComponentFactory.create(
        project=project, name="Orders DB", kind=ComponentKind.DATA_STORE, zone=zone, technology="PostgreSQL"
    )
    flow = DataFlowFactory.create(
        project=project, source=component, destination=store, name="Order writes", protocol="TLS"
    )
    threat = ThreatFactory.create(
        project=project, threat_source="external attacker", threat_action="replay a captured payment request"
    )
    threat.target_components.set([component])
    control = ControlFactory.create(project=project, title="Idempotency keys")
    link = ThreatControlFactory.create(threat=threat, control=control, effectiveness=60)
    return Workspace(project, zone, asset, component, store, flow, threat, control, link)


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def if_match(obj: Versioned) -> dict[str, str]:
    """The If-Match header naming the object's version as the database has it now."""
    obj.refresh_from_db(fields=["version"])
    return {"If-Match": etag(obj)}


@dataclass(frozen=True)
class Resource:
    """One kind of workspace object, as the parametrised tests walk them."""

    name: str
    obj: Callable[[Workspace], Versioned]
    key: Callable[[Workspace], object]  # its URL argument
    change: dict[str, Any]  # a valid PATCH body
    create: Callable[[Workspace], dict[str, Any]]  # a valid POST body

    def list_url(self, w: Workspace) -> str:
        if self.name == "project":
            return url("api_project_list")
        return url(f"api_{self.name}_list", w.project.pk)

    def detail_url(self, w: Workspace) -> str:
        if self.name == "project":
            return url("api_project_detail", w.project.pk)
        return url(f"api_{self.name}_detail", w.project.pk, self.key(w))


RESOURCES = [
    Resource(
        "project",
        lambda w: w.project,
        lambda w: w.project.pk,
        {"description": "Card checkout"},
        lambda w: {"name": "Refunds", "team": "payments"},
    ),
    Resource(
        "zone",
        lambda w: w.zone,
        lambda w: w.zone.pk,
        {"trust_level": TrustLevel.FULL},
        lambda w: {"name": "Internet", "trust_level": TrustLevel.UNTRUSTED},
    ),
    Resource(
        "asset",
        lambda w: w.asset,
        lambda w: w.asset.pk,
        {"confidentiality": 4},
        lambda w: {"name": "Customer PII"},
    ),
    Resource(
        "component",
        lambda w: w.component,
        lambda w: w.component.pk,
        {"technology": "FastAPI"},
        lambda w: {"name": "Browser", "kind": ComponentKind.ACTOR},
    ),
    Resource(
        "flow",
        lambda w: w.flow,
        lambda w: w.flow.pk,
        {"is_encrypted": True},
        lambda w: {"name": "Order reads", "source": w.store.pk, "destination": w.component.pk},
    ),
    Resource(
        "threat",
        lambda w: w.threat,
        lambda w: w.threat.number,
        {"threat_impact": "double charges"},
        lambda w: {"threat_source": "malicious insider", "threat_action": "edit refunds"},
    ),
    Resource(
        "control",
        lambda w: w.control,
        lambda w: w.control.pk,
        {"status": "planned"},
        lambda w: {"title": "Rate limiting"},
    ),
    Resource(
        "link",
        lambda w: w.link,
        lambda w: w.link.pk,
        {"effectiveness": 90},
        lambda w: {
            "threat": ThreatFactory.create(project=w.project).number,
            "control": w.control.pk,
            "effectiveness": 40,
        },
    ),
]
RESOURCE_IDS = [resource.name for resource in RESOURCES]

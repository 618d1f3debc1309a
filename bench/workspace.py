"""Time per request of the threat-model workspace: one project of 1 threat and one of 1,000.

Each project has 30 components in 4 trust zones, 40 data flows, 20 controls; threats target a component and a
flow each and have a control link. Called by bench.hot_paths.main inside its throwaway database.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from projects.models import (
    Component,
    ComponentKind,
    Control,
    DataFlow,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatComponent,
    ThreatControl,
    ThreatFlow,
    TrustZone,
    User,
)
from projects.roles import Role

SIZES = (1, 1_000)
KINDS = list(ComponentKind)


@dataclass(frozen=True)
class WorkspaceCase:
    name: str
    url: Callable[[Project], str]
    api: bool = False
    htmx: bool = False


def _project_url(name: str) -> Callable[[Project], str]:
    return lambda p: reverse(name, args=[p.organisation.slug, p.pk])


CASES = [
    WorkspaceCase("project list (HTML)", lambda p: reverse("project_list", args=[p.organisation.slug])),
    WorkspaceCase("project model page with diagram (HTML)", _project_url("project_detail")),
    WorkspaceCase("threat list, first page (HTML)", _project_url("threat_list")),
    WorkspaceCase(
        "threat list, filtered partial (htmx)",
        lambda p: _project_url("threat_list")(p) + "?stride=S",
        htmx=True,
    ),
    WorkspaceCase("control list (HTML)", _project_url("control_list")),
    WorkspaceCase("API: threats, first page (token)", _project_url("api_threat_list"), api=True),
    WorkspaceCase(
        "API: one threat (token)",
        lambda p: reverse("api_threat_detail", args=[p.organisation.slug, p.pk, 1]),
        api=True,
    ),
]


def project_of(size: int) -> tuple[Project, User]:
    """A project with `size` threats and a realistic model around them, made in bulk."""
    organisation = Organisation.objects.create(name=f"Workspace {size}", slug=f"workspace-{size}")
    team = Team.objects.create(organisation=organisation, name="Payments", slug="payments")
    owner = User.objects.create(email=f"owner@workspace-{size}.test", name="Owner", password="!")
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    project = Project.objects.create(
        organisation=organisation, team=team, name="Checkout", threat_counter=size
    )
    zones = TrustZone.objects.bulk_create(
        TrustZone(project=project, name=f"Zone {n}", trust_level=n) for n in range(4)
    )
    components = Component.objects.bulk_create(
        Component(
            project=project, name=f"Component {n}", kind=KINDS[n % 4], zone=zones[n % 4], technology="Python"
        )
        for n in range(30)
    )
    flows = DataFlow.objects.bulk_create(
        DataFlow(
            project=project, name=f"Flow {n}", source=components[n % 30], destination=components[(n + 7) % 30]
        )
        for n in range(40)
    )
    threats = Threat.objects.bulk_create(
        Threat(
            project=project,
            number=n + 1,
            threat_source="external attacker",
            prerequisites="with network access",
            threat_action=f"tamper with request {n}",
            threat_impact="fraudulent orders",
            stride=["S", "T"] if n % 2 else ["I"],
            owner=owner,
        )
        for n in range(size)
    )
    controls = Control.objects.bulk_create(Control(project=project, title=f"Control {n}") for n in range(20))
    ThreatComponent.objects.bulk_create(
        ThreatComponent(threat=t, component=components[n % 30]) for n, t in enumerate(threats)
    )
    ThreatFlow.objects.bulk_create(ThreatFlow(threat=t, flow=flows[n % 40]) for n, t in enumerate(threats))
    ThreatControl.objects.bulk_create(
        ThreatControl(threat=t, control=controls[n % 20], effectiveness=60) for n, t in enumerate(threats)
    )
    return project, owner

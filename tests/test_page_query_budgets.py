"""Query budgets of the pages not covered next to their own tests: each object's page, the project list's
htmx partial, the threat library and sending threats for review in bulk. A page reads the same number of queries
whether its object has one related row or many, and whether its history holds one change or many."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from projects.models import Component, Control, DataFlow, Project, Threat
from projects.notification_models import Notification, NotificationKind
from projects.workspace_selectors import history_of
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    ProjectFactory,
    TeamFactory,
    ThreatControlFactory,
    ThreatFactory,
    TrustZoneFactory,
)
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


def url(cast: Cast, name: str, *args: object) -> str:
    return reverse(name, args=[cast.organisation.slug, *args])


class Model:
    """One of each part, with `size` of everything that hangs off them: assets, threats, controls, flows,
    sub-zones and changes in their history."""

    def __init__(self, project: Project, size: int) -> None:
        self.project = project
        self.zone = TrustZoneFactory.create(project=project, name="Internal")
        self.asset = AssetFactory.create(project=project, name="Card data")
        self.component = ComponentFactory.create(project=project, name="API", zone=self.zone)
        self.shopper = ComponentFactory.create(project=project, name="Shopper", kind="actor")
        self.flow = DataFlowFactory.create(project=project, source=self.shopper, destination=self.component)
        self.threat = ThreatFactory.create(project=project, owner=None)
        self.control = ControlFactory.create(project=project, title="Rate limit")
        ThreatControlFactory.create(threat=self.threat, control=self.control)
        for n in range(size):
            TrustZoneFactory.create(project=project, name=f"Sub-zone {n}", parent=self.zone)
            asset = AssetFactory.create(project=project, name=f"Asset {n}")
            other = ComponentFactory.create(project=project, name=f"Service {n}", zone=self.zone)
            other.assets.add(self.asset)
            self.component.assets.add(asset)
            self.flow.assets.add(asset)
            flow = DataFlowFactory.create(project=project, source=self.component, destination=other)
            flow.assets.add(self.asset)
            threat = ThreatFactory.create(project=project)
            threat.target_components.add(self.component)
            threat.target_flows.add(self.flow)
            threat.impacted_assets.add(self.asset)
            self.threat.impacted_assets.add(asset)
            self.threat.target_components.add(other)
            ThreatControlFactory.create(threat=threat, control=self.control)
            ThreatControlFactory.create(
                threat=self.threat, control=ControlFactory.create(project=project, title=f"Control {n}")
            )
        changes = [
            (self.zone, "description"),
            (self.asset, "description"),
            (self.component, "description"),
            (self.flow, "protocol"),
            (self.threat, "prerequisites"),
            (self.control, "description"),
        ]
        for n in range(size):  # history: one event per save
            for obj, field in changes:
                setattr(obj, field, f"Change {n}")
                obj.save()

    def pages(self, cast: Cast) -> dict[str, str]:
        p = self.project.pk
        return {
            "zone": url(cast, "zone_detail", p, self.zone.pk),
            "asset": url(cast, "asset_detail", p, self.asset.pk),
            "component": url(cast, "component_detail", p, self.component.pk),
            "flow": url(cast, "flow_detail", p, self.flow.pk),
            "threat": url(cast, "threat_detail", p, self.threat.number),
            "control": url(cast, "control_detail", p, self.control.pk),
            "component library": url(cast, "library_component", p, self.component.pk),
            "flow library": url(cast, "library_flow", p, self.flow.pk),
            "project history": url(cast, "project_history", p),
        }


PAGES = [
    "zone",
    "asset",
    "component",
    "flow",
    "threat",
    "control",
    "component library",
    "flow library",
    "project history",
]


@pytest.fixture(autouse=True)
def _no_cached_diagrams() -> None:
    cache.clear()


def counted(client: Client, page: str, **headers: Any) -> int:
    client.get(page, headers=headers)  # the first request of a session warms caches up
    return count_queries(lambda: client.get(page, headers=headers))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_an_objects_page_reads_as_many_queries_for_one_related_row_as_for_many(
    cast: Cast, engineer_client: Client, viewer_client: Client, page: str, who: str
) -> None:
    client = {"engineer": engineer_client, "viewer": viewer_client}[who]
    small = Model(ProjectFactory.create(team=cast.team, name="Small"), size=1)
    large = Model(ProjectFactory.create(team=cast.team, name="Large"), size=12)
    assert client.get(large.pages(cast)[page]).status_code == 200
    few, many = counted(client, small.pages(cast)[page]), counted(client, large.pages(cast)[page])
    if page == "project history":
        # One query per kind of object the page names (zones, threats, links...), never one per event: the
        # small model's page shows more kinds of event than the large one's first page of edits.
        assert many <= few
    else:
        assert many == few


def test_the_large_model_really_is_larger(cast: Cast) -> None:
    """The budgets above compare like with unlike only if the large model has what they count."""
    large = Model(ProjectFactory.create(team=cast.team, name="Large"), size=12)
    assert Threat.objects.filter(target_components=large.component).count() == 12
    assert Control.objects.get(pk=large.control.pk).threats.count() == 13
    assert large.threat.controls.count() == 13
    assert Component.objects.filter(zone=large.zone).count() == 13
    assert DataFlow.objects.filter(assets=large.asset).count() == 12
    assert len(history_of(large.component)) > 12


def test_the_project_list_partial_reads_as_many_queries_for_one_project_as_for_a_page(
    cast: Cast, viewer_client: Client
) -> None:
    ComponentFactory.create(project=ProjectFactory.create(team=cast.team, name="First"))
    partial: dict[str, Any] = {"HX-Target": "project-results", **HTMX}
    few = counted(viewer_client, url(cast, "project_list") + "?q=", **partial)
    for n in range(30):
        other = ProjectFactory.create(team=TeamFactory.create(organisation=cast.organisation), name=f"P{n}")
        ComponentFactory.create(project=other)
        ThreatFactory.create(project=other)
    answer = viewer_client.get(url(cast, "project_list") + "?q=", headers=partial)
    assert "<html" not in answer.content.decode()  # the partial, not the page
    assert counted(viewer_client, url(cast, "project_list") + "?q=", **partial) == few


# Threats sent into review tell the members who decide reviews (projects.notifications.threats_sent_for_review):
# who they are, their memberships and preferences, one insert, however many threats.
TELLING_DECIDERS = 3


def test_sending_threats_for_review_in_bulk_costs_the_same_few_queries_more_for_one_as_for_forty(
    cast: Cast, engineer_client: Client
) -> None:
    project = ProjectFactory.create(team=cast.team)
    threats = ThreatFactory.create_batch(42, project=project)
    bulk = reverse("threat_bulk", args=[cast.organisation.slug, project.pk])

    def change(chosen: list[Threat], status: str) -> int:
        body = {"threats": [f"{threat.number}:{threat.version}" for threat in chosen], "status": status}

        def post() -> None:
            assert engineer_client.post(bulk, body).status_code == 302

        return count_queries(post)

    # The first visit stores the organisation in the session.
    engineer_client.get(reverse("threat_list", args=[cast.organisation.slug, project.pk]))
    quiet = change(threats[:1], "confirmed")
    one = change(threats[1:2], "in_review")
    forty = change(threats[2:], "in_review")
    assert one == forty == quiet + TELLING_DECIDERS
    assert Notification.objects.filter(kind=NotificationKind.THREAT_REVIEW_REQUESTED).count() == 4

"""The Model section of a project: the data-flow diagram and the lists of zones, assets, components and flows."""

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from projects import workspace_services as services
from projects.diagram import graphviz_available
from projects.models import ComponentKind, Project
from tests.conftest import Cast, signed_in
from tests.factories import AssetFactory, ComponentFactory, DataFlowFactory, ProjectFactory, TrustZoneFactory
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fresh_diagram_cache() -> Iterator[None]:
    """Rendered diagrams are cached by their DOT source; each test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def requires_dot() -> None:
    if graphviz_available():
        return
    reason = "Graphviz's `dot` is not on PATH; install the Debian package: sudo apt-get install graphviz"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


def model(project: Project, size: int = 1) -> None:
    """Zones, assets, components with assets, and flows between them: `size` of each."""
    internet = TrustZoneFactory.create(project=project, name="Internet", trust_level=0)
    for n in range(size):
        zone = TrustZoneFactory.create(project=project, name=f"Zone {n}", parent=internet)
        asset = AssetFactory.create(project=project, name=f"Asset {n}")
        shopper = ComponentFactory.create(project=project, name=f"Shopper {n}", kind="actor", zone=internet)
        api = ComponentFactory.create(project=project, name=f"API {n}", zone=zone, tags=["pci"])
        api.assets.set([asset])
        flow = DataFlowFactory.create(project=project, source=shopper, destination=api, name=f"Order {n}")
        flow.assets.set([asset])


def detail(project: Project) -> str:
    return reverse("project_detail", args=[project.organisation.slug, project.pk])


def test_the_model_page_lists_every_part_of_the_model(
    cast: Cast, viewer_client: Client, project: Project, requires_dot: None
) -> None:
    model(project)
    response = viewer_client.get(detail(project))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Internet", "Zone 0", "Asset 0", "Shopper 0", "API 0", "Order 0"):
        assert name in html
    flow = project.flows.get()
    assert reverse("flow_detail", args=["acme", project.pk, flow.pk]) in html
    assert reverse("component_detail", args=["acme", project.pk, flow.source_id]) in html
    assert "Crosses boundary" in html
    assert "Not encrypted" in html


def test_the_page_draws_the_diagram_inline(
    cast: Cast, viewer_client: Client, project: Project, requires_dot: None
) -> None:
    model(project)
    html = viewer_client.get(detail(project)).content.decode()
    assert 'hx-trigger="model-changed from:body"' in html
    canvas = html.split('class="diagram__canvas"', 1)[1]
    svg = ET.fromstring(canvas[canvas.index("<svg") : canvas.index("</svg>") + len("</svg>")])
    ids = {element.get("id") for element in svg.iter()}
    assert {f"component-{pk}" for pk in project.components.values_list("pk", flat=True)} <= ids
    assert f"flow-{project.flows.get().pk}" in ids


def test_a_project_without_components_says_how_to_start_the_diagram(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    html = engineer_client.get(detail(project)).content.decode()
    assert "Nothing to draw yet" in html
    assert "Add a component to start it" in html
    for form in ("zone-add", "asset-add", "component-add", "flow-add"):
        assert f'id="{form}"' in html


def test_without_graphviz_the_page_says_how_to_install_it_and_works(
    cast: Cast, engineer_client: Client, project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model(project)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: the real `dot` is not found
    response = engineer_client.get(detail(project))
    assert response.status_code == 200
    html = response.content.decode()
    assert "sudo apt-get install graphviz" in html
    assert "diagram__canvas" not in html
    assert "API 0" in html
    assert 'id="component-add"' in html
    svg = engineer_client.get(reverse("project_diagram", args=["acme", project.pk]))
    assert svg.status_code == 503
    assert "sudo apt-get install graphviz" in svg.content.decode()


def test_the_diagram_is_served_as_an_svg_file(
    cast: Cast, viewer_client: Client, project: Project, requires_dot: None
) -> None:
    model(project, size=2)
    response = viewer_client.get(reverse("project_diagram", args=["acme", project.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    ids = {element.get("id") for element in root.iter()}
    assert {f"component-{pk}" for pk in project.components.values_list("pk", flat=True)} <= ids


def test_the_diagram_file_of_an_empty_project_says_so(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    response = viewer_client.get(reverse("project_diagram", args=["acme", project.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert "No components yet." in response.content.decode()


def test_the_diagram_follows_every_change_to_the_model(
    cast: Cast, viewer_client: Client, project: Project, requires_dot: None
) -> None:
    component = ComponentFactory.create(project=project, name="Payments API")
    assert "Payments API" in viewer_client.get(detail(project)).content.decode()
    services.component_update(
        membership=cast.membership(cast.engineer), component=component, version=1, name="Ledger"
    )
    html = viewer_client.get(detail(project), headers=HTMX | {"HX-Target": "diagram"}).content.decode()
    assert "Ledger" in html
    assert "Payments API" not in html


def test_a_drawn_diagram_is_reused_from_the_cache(
    cast: Cast, viewer_client: Client, project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not graphviz_available():
        pytest.skip("needs Graphviz to draw the first time")
    model(project)
    viewer_client.get(detail(project))
    monkeypatch.setenv("PATH", str(tmp_path))
    html = viewer_client.get(detail(project), headers=HTMX | {"HX-Target": "diagram"}).content.decode()
    assert "<svg" in html


def test_htmx_gets_the_diagram_alone(cast: Cast, viewer_client: Client, project: Project) -> None:
    response = viewer_client.get(detail(project), headers=HTMX | {"HX-Target": "diagram"})
    html = response.content.decode()
    assert 'id="diagram"' in html
    assert "<html" not in html
    assert 'id="zone-list"' not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("kind", ["zone", "asset", "component", "flow"])
def test_htmx_gets_one_list_alone(cast: Cast, engineer_client: Client, project: Project, kind: str) -> None:
    model(project)
    html = engineer_client.get(detail(project), headers=HTMX | {"HX-Target": f"{kind}-list"}).content.decode()
    assert html.lstrip().startswith(f'<div id="{kind}-list"')
    assert "hx-swap-oob" not in html
    assert "<html" not in html


def test_a_viewer_reads_the_model_without_edit_controls(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    model(project)
    html = viewer_client.get(detail(project)).content.decode()
    assert "API 0" in html
    assert 'id="component-add"' not in html
    assert "?edit=row" not in html
    assert "You can read this project" in html


def test_an_engineer_of_another_team_reads_it_without_edit_controls(cast: Cast, project: Project) -> None:
    model(project)
    html = signed_in(cast.other_engineer).get(detail(project)).content.decode()
    assert "API 0" in html
    assert 'id="flow-add"' not in html


def test_the_model_page_answers_only_get(cast: Cast, owner_client: Client, project: Project) -> None:
    assert owner_client.post(detail(project)).status_code == 405
    assert owner_client.post(reverse("project_diagram", args=["acme", project.pk])).status_code == 405


def test_an_outsider_cannot_see_the_model(cast: Cast, outsider_client: Client, project: Project) -> None:
    assert outsider_client.get(detail(project)).status_code == 404
    assert outsider_client.get(reverse("project_diagram", args=["acme", project.pk])).status_code == 404


def test_the_model_page_queries_do_not_grow_with_the_model(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    model(project, size=1)
    engineer_client.get(detail(project))
    few = count_queries(lambda: engineer_client.get(detail(project)))
    other = ProjectFactory.create(team=cast.team, name="Bigger")
    model(other, size=15)
    cache.clear()
    engineer_client.get(detail(other))
    assert count_queries(lambda: engineer_client.get(detail(other))) == few


def test_the_add_forms_offer_what_the_lists_show_without_queries_of_their_own(
    cast: Cast, owner_client: Client, viewer_client: Client, project: Project
) -> None:
    model(project, size=3)
    for client in (owner_client, viewer_client):
        client.get(detail(project))
    with_forms = count_queries(lambda: owner_client.get(detail(project)))
    assert with_forms == count_queries(lambda: viewer_client.get(detail(project)))  # a viewer gets no forms
    flow_form = owner_client.get(detail(project)).content.decode().split('id="flow-add"')[1]
    assert flow_form.count(">API 2</option>") == 2  # every component, as source and as destination
    assert f'value="{project.assets.get(name="Asset 1").pk}"' in flow_form


@pytest.mark.parametrize("target", ["diagram", "zone-list", "asset-list", "component-list", "flow-list"])
def test_the_partials_queries_do_not_grow_with_the_model(
    cast: Cast, engineer_client: Client, project: Project, target: str
) -> None:
    model(project, size=1)
    headers = HTMX | {"HX-Target": target}
    engineer_client.get(detail(project), headers=headers)
    few = count_queries(lambda: engineer_client.get(detail(project), headers=headers))
    other = ProjectFactory.create(team=cast.team, name="Bigger")
    model(other, size=15)
    engineer_client.get(detail(other), headers=headers)
    assert count_queries(lambda: engineer_client.get(detail(other), headers=headers)) == few


def test_component_kinds_read_as_words(cast: Cast, viewer_client: Client, project: Project) -> None:
    ComponentFactory.create(project=project, name="Stripe", kind=ComponentKind.EXTERNAL_SERVICE)
    assert "External service" in viewer_client.get(detail(project)).content.decode()

"""Adding, editing and deleting trust zones, assets, components and data flows: inline on the Model page (htmx)
and on each part's own page (without JavaScript)."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from projects import workspace_services as services
from projects.model_forms import Select
from projects.models import Asset, Component, ComponentKind, DataFlow, Project, Threat, TrustZone
from tests.conftest import Cast, signed_in
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatFactory,
    TrustZoneFactory,
)
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}
KINDS = ["zone", "asset", "component", "flow"]
MODELS: dict[str, type[Model]] = {"zone": TrustZone, "asset": Asset, "component": Component, "flow": DataFlow}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def parts(project: Project) -> dict[str, Any]:
    """One of each kind, linked together: the API sits in the internal zone and holds the card data."""
    zone = TrustZoneFactory.create(project=project, name="Internal", trust_level=3)
    asset = AssetFactory.create(project=project, name="Card data")
    shopper = ComponentFactory.create(project=project, name="Shopper", kind="actor")
    api = ComponentFactory.create(project=project, name="API", zone=zone, technology="Django")
    api.assets.set([asset])
    flow = DataFlowFactory.create(project=project, source=shopper, destination=api, name="Place order")
    return {"zone": zone, "asset": asset, "component": api, "shopper": shopper, "flow": flow}


def new_body(kind: str, parts: dict[str, Any]) -> dict[str, object]:
    """A valid add form for each kind."""
    return {
        "zone": {"name": "DMZ", "trust_level": 1, "parent": parts["zone"].pk, "description": ""},
        "asset": {
            "name": "Customer PII",
            "kind": "data",
            "classification": "confidential",
            "confidentiality": 4,
            "integrity": 3,
            "availability": 2,
        },
        "component": {
            "name": "Ledger DB",
            "kind": "data_store",
            "zone": parts["zone"].pk,
            "technology": "PostgreSQL",
            "tags": "pci, storage, pci",
            "assets": [parts["asset"].pk],
        },
        "flow": {
            "name": "Write ledger",
            "source": parts["component"].pk,
            "destination": parts["shopper"].pk,
            "protocol": "TLS",
            "is_encrypted": "on",
            "assets": [parts["asset"].pk],
        },
    }[kind]


def edit_body(which: str, parts: dict[str, Any], **changes: object) -> dict[str, object]:
    """The edit form of a part as it was loaded, with some fields changed."""
    obj = parts[which]
    fields = {
        "zone": ["name", "trust_level", "description"],
        "asset": ["name", "kind", "classification", "confidentiality", "integrity", "availability"],
        "component": ["name", "kind", "technology", "description"],
        "flow": ["name", "protocol", "data_carried"],
    }[which]
    body: dict[str, object] = {name: getattr(obj, name) for name in fields}
    if which == "component":
        body |= {"zone": obj.zone_id or "", "tags": ", ".join(obj.tags)}
    if which == "flow":
        body |= {"source": obj.source_id, "destination": obj.destination_id}
    return body | {"version": obj.version} | changes


def url(view: str, project: Project, *args: object) -> str:
    return reverse(view, args=[project.organisation.slug, project.pk, *args])


def count(kind: str, project: Project) -> int:
    return MODELS[kind]._default_manager.filter(project=project).count()


# Adding --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_engineer_adds_a_part_without_javascript(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    before = count(kind, project)
    response = engineer_client.post(url(f"{kind}_create", project), new_body(kind, parts))
    assert response.status_code == 302
    assert response["Location"] == url("project_detail", project)
    assert count(kind, project) == before + 1


@pytest.mark.parametrize("kind", KINDS)
def test_adding_with_htmx_swaps_in_the_lists_and_redraws_the_diagram(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    response = engineer_client.post(url(f"{kind}_create", project), new_body(kind, parts), headers=HTMX)
    assert response.status_code == 200
    assert "model-changed" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert f'<div id="{kind}-list" class="model-list" hx-swap-oob="true">' in html
    assert f'id="{kind}-add"' in html  # a fresh add form, ready for the next one
    assert 'class="is-saved"' in html
    assert 'id="toasts" hx-swap-oob="innerHTML"' in html


def test_a_component_is_added_with_its_zone_tags_and_assets(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    engineer_client.post(url("component_create", project), new_body("component", parts), headers=HTMX)
    ledger = project.components.get(name="Ledger DB")
    assert (ledger.kind, ledger.zone, ledger.tags) == ("data_store", parts["zone"], ["pci", "storage"])
    assert list(ledger.assets.all()) == [parts["asset"]]


def test_a_new_zone_is_offered_at_once_in_the_component_form(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    html = engineer_client.post(
        url("zone_create", project), new_body("zone", parts), headers=HTMX
    ).content.decode()
    form = html.split('id="component-add"')[1]
    assert ">DMZ</option>" in form


def test_a_new_component_is_offered_at_once_as_an_end_of_flows(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    body = new_body("component", parts)
    html = engineer_client.post(url("component_create", project), body, headers=HTMX).content.decode()
    assert ">Ledger DB</option>" in html.split('id="flow-add"')[1]
    assert 'id="zone-list"' in html  # zones count their components


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("zone", "name", "bad\x00name"),
        ("zone", "name", "z" * 121),
        ("zone", "trust_level", 9),
        ("asset", "confidentiality", 7),
        ("asset", "kind", "gold"),
        ("component", "kind", "spaceship"),
        ("component", "name", "x" * 201),
        ("component", "technology", "Django\x00"),
        ("component", "tags", ", ".join(f"tag{n}" for n in range(21))),
        ("component", "tags", "t" * 51),
        ("flow", "source", 999_999),
        ("flow", "name", ""),
    ],
)
def test_bad_input_is_refused_field_by_field(
    cast: Cast,
    engineer_client: Client,
    project: Project,
    parts: dict[str, Any],
    kind: str,
    field: str,
    value: object,
) -> None:
    before = count(kind, project)
    response = engineer_client.post(url(f"{kind}_create", project), new_body(kind, parts) | {field: value})
    assert response.status_code == 400
    assert field in response.context[f"{kind}_form"].errors
    assert count(kind, project) == before


def test_with_htmx_the_add_form_comes_back_with_its_errors(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    body = new_body("component", parts) | {"kind": "spaceship"}
    response = engineer_client.post(url("component_create", project), body, headers=HTMX)
    assert response.status_code == 400
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#component-add", "outerHTML")
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert 'aria-invalid="true"' in html
    assert 'value="Ledger DB"' in html  # what was typed stays


def test_a_flow_between_components_of_two_projects_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    elsewhere = ComponentFactory.create(project=ProjectFactory.create(team=cast.team, name="Other"))
    body = new_body("flow", parts) | {"destination": elsewhere.pk}
    response = engineer_client.post(url("flow_create", project), body)
    assert response.status_code == 400
    assert "destination" in response.context["flow_form"].errors
    assert not DataFlow.objects.filter(destination=elsewhere).exists()


def test_a_flow_from_a_component_to_itself_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    body = new_body("flow", parts) | {"destination": parts["component"].pk}
    response = engineer_client.post(url("flow_create", project), body)
    assert response.status_code == 400
    assert response.context["flow_form"].errors["destination"] == [
        "A flow goes between two different components."
    ]


def test_another_projects_asset_or_zone_is_not_a_choice(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    other = ProjectFactory.create(team=cast.team, name="Other")
    body = new_body("component", parts) | {
        "zone": TrustZoneFactory.create(project=other).pk,
        "assets": [AssetFactory.create(project=other).pk],
    }
    response = engineer_client.post(url("component_create", project), body)
    assert response.status_code == 400
    assert {"zone", "assets"} <= set(response.context["component_form"].errors)


def test_a_duplicate_name_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    response = engineer_client.post(
        url("zone_create", project), new_body("zone", parts) | {"name": "Internal"}
    )
    assert response.status_code == 400
    assert count("zone", project) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_viewer_or_another_team_cannot_add(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    before = count(kind, project)
    assert viewer_client.post(url(f"{kind}_create", project), new_body(kind, parts)).status_code == 403
    other = signed_in(cast.other_engineer)
    assert other.post(url(f"{kind}_create", project), new_body(kind, parts), headers=HTMX).status_code == 403
    assert count(kind, project) == before


@pytest.mark.parametrize("kind", KINDS)
def test_adding_answers_only_post(cast: Cast, engineer_client: Client, project: Project, kind: str) -> None:
    assert engineer_client.get(url(f"{kind}_create", project)).status_code == 405


@pytest.mark.parametrize("kind", KINDS)
def test_an_outsider_cannot_add(
    cast: Cast, outsider_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    assert outsider_client.post(url(f"{kind}_create", project), new_body(kind, parts)).status_code == 404


# A part's page and editing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_part_has_its_page_with_its_history(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    response = viewer_client.get(url(f"{kind}_detail", project, obj.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert obj.name in html
    assert response.context["form"] is None  # a viewer reads
    assert "History" in html


def test_a_component_page_lists_its_threats_and_offers_suggestions(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api = parts["component"]
    threat = ThreatFactory.create(project=project, threat_action="forge a refund")
    threat.target_components.set([api])
    html = engineer_client.get(url("component_detail", project, api.pk)).content.decode()
    assert reverse("threat_detail", args=["acme", project.pk, threat.number]) in html
    assert "forge a refund" in html
    assert reverse("library_component", args=["acme", project.pk, api.pk]) in html
    assert reverse("flow_detail", args=["acme", project.pk, parts["flow"].pk]) in html


@pytest.mark.parametrize("kind", ["component", "flow"])
def test_a_part_page_logs_a_threat_aimed_at_the_part(
    cast: Cast,
    engineer_client: Client,
    viewer_client: Client,
    project: Project,
    parts: dict[str, Any],
    kind: str,
) -> None:
    obj = parts[kind]
    html = engineer_client.get(url(f"{kind}_detail", project, obj.pk)).content.decode()
    create = f"{url('threat_create', project)}?{kind}={obj.pk}"
    assert f'id="log-threat" href="{create}"' in html
    form = engineer_client.get(create).context["form"]
    assert form.initial[f"target_{kind}s"] == [obj.pk]
    assert 'id="log-threat"' not in viewer_client.get(url(f"{kind}_detail", project, obj.pk)).content.decode()


def test_a_flow_page_says_it_crosses_a_boundary_and_offers_suggestions(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    flow = parts["flow"]
    html = engineer_client.get(url("flow_detail", project, flow.pk)).content.decode()
    assert "Crosses boundary" in html
    assert "not encrypted" in html
    assert reverse("library_flow", args=["acme", project.pk, flow.pk]) in html


def test_the_history_of_a_part_names_fields_and_values_as_people_read_them(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api, dmz = parts["component"], TrustZoneFactory.create(project=project, name="DMZ")
    lead = cast.membership(cast.security_lead)
    services.component_update(membership=lead, component=api, version=1, zone=dmz, kind="external_service")
    html = " ".join(viewer_client.get(url("component_detail", project, api.pk)).content.decode().split())
    assert f"<strong>{cast.security_lead.display_name}</strong> updated component “API”" in html
    assert "<dt>Zone</dt>" in html
    assert "<del>Internal</del>" in html
    assert "<ins>DMZ</ins>" in html
    assert "<ins>External service</ins>" in html


@pytest.mark.parametrize("kind", KINDS)
def test_an_engineer_edits_a_part_on_its_page(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    path = url(f"{kind}_detail", project, obj.pk)
    response = engineer_client.post(path, edit_body(kind, parts, name="Renamed"))
    assert response.status_code == 302
    assert response["Location"] == path
    obj.refresh_from_db()
    assert (obj.name, obj.version) == ("Renamed", 2)


def test_the_edit_form_starts_from_the_saved_values(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    form = engineer_client.get(url("component_detail", project, parts["component"].pk)).context["form"]
    assert form["name"].value() == "API"
    assert form["zone"].value() == parts["zone"].pk
    assert form["assets"].value() == [parts["asset"].pk]
    assert form["version"].value() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_htmx_turns_a_row_into_its_edit_form(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    response = engineer_client.get(url(f"{kind}_detail", project, obj.pk), {"edit": "row"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="{kind}-row-{obj.pk}" class="row-edit">')
    assert f'id="{kind}-{obj.pk}-name"' in html  # ids unique per row
    assert f'action="{url(f"{kind}_detail", project, obj.pk)}"' in html  # works without JavaScript too
    assert 'name="version"' in html


@pytest.mark.parametrize("kind", KINDS)
def test_the_selects_are_djangos_drawn_without_a_template_per_option(
    engineer_client: Client,
    project: Project,
    parts: dict[str, Any],
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def edit_row() -> str:
        response = engineer_client.get(
            url(f"{kind}_detail", project, parts[kind].pk), {"edit": "row"}, headers=HTMX
        )
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return re.sub(r">\s+<", "><", html)

    ours = edit_row()
    assert "<select" in ours
    monkeypatch.setattr(Select, "render", forms.Select.render)
    assert edit_row() == ours


def test_a_viewer_gets_no_edit_row(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    path = url("component_detail", project, parts["component"].pk)
    assert viewer_client.get(path, {"edit": "row"}, headers=HTMX).status_code == 403


@pytest.mark.parametrize("kind", KINDS)
def test_saving_a_row_with_htmx_swaps_in_the_lists(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    body = edit_body(kind, parts, name="Renamed")
    response = engineer_client.post(url(f"{kind}_detail", project, obj.pk), body, headers=HTMX)
    assert response.status_code == 200
    assert "model-changed" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert f'<div id="{kind}-list" class="model-list" hx-swap-oob="true">' in html
    assert "Renamed" in html
    assert f'id="{kind}-add"' not in html or kind == "zone"  # only forms that offer it are refreshed


def test_renaming_a_component_renames_it_in_the_flow_list(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api = parts["component"]
    body = edit_body("component", parts, name="Payments API")
    html = engineer_client.post(url("component_detail", project, api.pk), body, headers=HTMX).content.decode()
    assert "Payments API" in html.split('id="flow-list"')[1]


def test_a_row_with_errors_comes_back_in_place(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api = parts["component"]
    body = edit_body("component", parts, kind="spaceship")
    response = engineer_client.post(url("component_detail", project, api.pk), body, headers=HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == f"#component-row-{api.pk}"
    assert 'aria-invalid="true"' in response.content.decode()
    api.refresh_from_db()
    assert api.kind == "process"


def test_a_stale_edit_on_the_page_shows_the_conflict_and_keeps_my_values(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api = parts["component"]
    services.component_update(
        membership=cast.membership(cast.security_lead), component=api, version=1, technology="Go"
    )
    body = edit_body("component", parts, name="My API", technology="Django 6", version=1)
    response = engineer_client.post(url("component_detail", project, api.pk), body)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this component" in html
    assert cast.security_lead.display_name in html
    form = response.context["form"]
    assert (form["name"].value(), form["technology"].value(), form["version"].value()) == (
        "My API",
        "Django 6",
        "2",
    )
    api.refresh_from_db()
    assert (api.name, api.technology) == ("API", "Go")


def test_a_stale_edit_in_a_row_shows_the_conflict_in_the_row(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    zone = parts["zone"]
    services.zone_update(membership=cast.membership(cast.owner), zone=zone, version=1, name="Core")
    body = edit_body("zone", parts, name="Mine", version=1)
    response = engineer_client.post(url("zone_detail", project, zone.pk), body, headers=HTMX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#zone-row-{zone.pk}"
    html = response.content.decode()
    assert "changed this trust zone" in html
    assert 'value="Mine"' in html


def test_an_edit_of_a_deleted_part_says_it_was_deleted(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    asset = parts["asset"]
    path = url("asset_detail", project, asset.pk)
    Asset.objects.filter(pk=asset.pk).update(version=5)
    services.asset_delete(membership=cast.membership(cast.owner), asset=asset, version=5)
    assert engineer_client.post(path, edit_body("asset", parts)).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_a_viewer_or_another_team_cannot_edit(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    path = url(f"{kind}_detail", project, obj.pk)
    assert viewer_client.post(path, edit_body(kind, parts, name="Mine")).status_code == 403
    assert signed_in(cast.other_engineer).post(path, edit_body(kind, parts, name="Mine")).status_code == 403
    obj.refresh_from_db()
    assert obj.name != "Mine"


@pytest.mark.parametrize("kind", KINDS)
def test_an_outsider_cannot_see_or_edit_a_part(
    cast: Cast, outsider_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    path = url(f"{kind}_detail", project, parts[kind].pk)
    assert outsider_client.get(path).status_code == 404
    assert outsider_client.post(path, edit_body(kind, parts)).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_a_part_page_answers_only_get_and_post(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    assert engineer_client.put(url(f"{kind}_detail", project, parts[kind].pk)).status_code == 405


def test_a_part_of_another_project_is_not_found_under_this_one(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    other = ComponentFactory.create(project=ProjectFactory.create(team=cast.team, name="Other"))
    assert engineer_client.get(url("component_detail", project, other.pk)).status_code == 404


# Deleting ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_deleting_asks_first_without_javascript(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    response = engineer_client.get(url(f"{kind}_delete", project, obj.pk))
    assert response.status_code == 200
    assert f"“{obj.name}”?" in response.content.decode()
    assert MODELS[kind]._default_manager.filter(pk=obj.pk).exists()


def test_the_question_says_what_else_goes(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    html = engineer_client.get(url("component_delete", project, parts["component"].pk)).content.decode()
    assert "1 data flow to or from it is deleted too." in html


@pytest.mark.parametrize("kind", KINDS)
def test_an_engineer_deletes_a_part(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    response = engineer_client.post(url(f"{kind}_delete", project, obj.pk), {"version": obj.version})
    assert response["Location"] == url("project_detail", project)
    assert not MODELS[kind]._default_manager.filter(pk=obj.pk).exists()


def test_deleting_with_htmx_swaps_in_the_lists_it_touched(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    api = parts["component"]
    response = engineer_client.post(url("component_delete", project, api.pk), {"version": 1}, headers=HTMX)
    assert "model-changed" in json.loads(response["HX-Trigger"])
    flows = response.content.decode().split('id="flow-list"')[1]
    assert "No data flows yet" in flows  # its flow went with it
    assert not DataFlow.objects.filter(pk=parts["flow"].pk).exists()


def test_a_delete_of_a_changed_part_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    zone = parts["zone"]
    services.zone_update(membership=cast.membership(cast.owner), zone=zone, version=1, name="Core")
    response = engineer_client.post(url("zone_delete", project, zone.pk), {"version": 1}, follow=True)
    assert "so it was not deleted" in response.content.decode()
    assert TrustZone.objects.filter(pk=zone.pk).exists()
    htmx = engineer_client.post(url("zone_delete", project, zone.pk), {"version": 1}, headers=HTMX)
    assert "so it was not deleted" in htmx.content.decode()
    assert TrustZone.objects.filter(pk=zone.pk).exists()


def test_a_delete_without_a_version_is_refused(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any]
) -> None:
    assert engineer_client.post(url("flow_delete", project, parts["flow"].pk)).status_code == 400
    assert DataFlow.objects.filter(pk=parts["flow"].pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_viewer_or_another_team_cannot_delete(
    cast: Cast, viewer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    path = url(f"{kind}_delete", project, obj.pk)
    assert viewer_client.get(path).status_code == 403
    assert viewer_client.post(path, {"version": obj.version}).status_code == 403
    assert signed_in(cast.other_engineer).post(path, {"version": obj.version}).status_code == 403
    assert MODELS[kind]._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_an_outsider_cannot_delete(
    cast: Cast, outsider_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    obj = parts[kind]
    assert outsider_client.post(url(f"{kind}_delete", project, obj.pk), {"version": 1}).status_code == 404
    assert MODELS[kind]._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_deleting_answers_only_get_and_post(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    assert engineer_client.delete(url(f"{kind}_delete", project, parts[kind].pk)).status_code == 405


# Query budgets of the htmx answers -------------------------------------------------------------------------


def grow(project: Project, size: int) -> None:
    for n in range(size):
        zone = TrustZoneFactory.create(project=project, name=f"Zone {n}")
        asset = AssetFactory.create(project=project, name=f"Asset {n}")
        source = ComponentFactory.create(project=project, name=f"Source {n}", zone=zone)
        destination = ComponentFactory.create(project=project, name=f"Destination {n}")
        source.assets.set([asset])
        DataFlowFactory.create(project=project, source=source, destination=destination).assets.set([asset])
        ThreatFactory.create(project=project).target_components.set([source])


@pytest.mark.parametrize("kind", KINDS)
def test_the_answer_to_a_write_does_not_grow_with_the_model(
    cast: Cast, engineer_client: Client, project: Project, parts: dict[str, Any], kind: str
) -> None:
    def save() -> Callable[[], object]:
        obj = MODELS[kind]._default_manager.get(pk=parts[kind].pk)
        parts[kind] = obj
        return lambda: engineer_client.post(
            url(f"{kind}_detail", project, obj.pk), edit_body(kind, parts), headers=HTMX
        )

    save()()  # the first request of a session warms caches up
    few = count_queries(save())
    grow(project, 10)
    assert count_queries(save()) == few
    assert Threat.objects.filter(project=project).count() == 10


def test_component_kinds_read_as_plural_nouns() -> None:
    assert [kind.plural for kind in ComponentKind] == [
        "actors",
        "processes",
        "data stores",
        "external services",
    ]

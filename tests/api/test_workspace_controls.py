"""Controls through the API, with the threats they are applied to."""

import pytest
from django.http import QueryDict
from rest_framework.test import APIClient

from projects.models import Control, ControlStatus
from projects.workspace_selectors import ControlFilters, controls_of
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import ControlFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_controls_with_their_links(w: Workspace, viewer_api: APIClient) -> None:
    body = viewer_api.get(url("api_control_list", w.project.pk)).json()
    assert body["count"] == 1
    control = body["results"][0]
    assert (control["title"], control["status"], control["kind"], control["owner"]) == (
        "Idempotency keys",
        "proposed",
        "preventive",
        None,
    )
    assert control["links"] == [{"id": w.link.pk, "threat": 1, "effectiveness": 60, "version": 1}]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("status=implemented", ["WAF"]),
        ("status=implemented&status=proposed", ["Idempotency keys", "WAF"]),
        ("status=bogus", ["Idempotency keys", "WAF"]),
        ("owner={engineer}", ["WAF"]),
        ("q=idempot", ["Idempotency keys"]),
        ("q=nothing+like+it", []),
    ],
)
def test_the_control_filters_are_the_uis(
    query: str, titles: list[str], w: Workspace, cast: Cast, viewer_api: APIClient
) -> None:
    ControlFactory.create(
        project=w.project, title="WAF", status=ControlStatus.IMPLEMENTED, owner=cast.engineer
    )
    query = query.format(engineer=cast.engineer.pk)
    expected = [c.title for c in controls_of(w.project, ControlFilters.from_query(QueryDict(query)))]
    response = viewer_api.get(url("api_control_list", w.project.pk) + "?" + query)
    assert [control["title"] for control in response.json()["results"]] == titles == expected


def test_an_engineer_adds_a_control(w: Workspace, cast: Cast, engineer_api: APIClient) -> None:
    body = {
        "title": "Card vault",
        "description": "Tokenise card numbers at the edge.",
        "kind": "preventive",
        "status": "planned",
        "owner": cast.engineer.pk,
        "due_on": "2027-03-31",
        "cost_per_year": "12000.00",
        "effort_days": "15.0",
        "ticket_url": "https://tickets.example.com/PAY-12",
    }
    response = engineer_api.post(url("api_control_list", w.project.pk), body)
    assert response.status_code == 201
    answer = response.json()
    assert {**{key: answer[key] for key in body}, "owner": answer["owner"]["id"]} == body
    assert answer["links"] == []


def test_it_changes_and_deletes_a_control(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_control_detail", w.project.pk, w.control.pk)
    response = engineer_api.patch(detail, {"status": "implemented"}, headers=if_match(w.control))
    assert response.json()["status"] == "implemented"
    assert engineer_api.delete(detail, headers=if_match(w.control)).status_code == 204
    assert not Control.objects.exists()
    assert not w.threat.control_links.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "magic"}, "kind"),
        ({"status": "done"}, "status"),
        ({"cost_per_year": "-1"}, "cost_per_year"),
        ({"cost_per_year": "1e20"}, "cost_per_year"),
        ({"effort_days": "0.25"}, "effort_days"),
        ({"ticket_url": "javascript:alert(1)"}, "ticket_url"),
        ({"due_on": "31/03/2027"}, "due_on"),
        ({"description": "x" * 5_001}, "description"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    response = owner_api.post(url("api_control_list", w.project.pk), {"title": "MFA", **body})
    assert list(field_errors(response)) == [field]
    assert Control.objects.count() == 1


def test_an_owner_from_outside_the_organisation_is_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    response = owner_api.post(
        url("api_control_list", w.project.pk), {"title": "MFA", "owner": cast.outsider.pk}
    )
    assert list(field_errors(response)) == ["owner"]


@pytest.mark.parametrize("query", ["q=%00", "owner=%C2%B2", "owner=99999999999999999999", "status=%00"])
def test_odd_filter_values_are_ignored_rather_than_errors(
    query: str, w: Workspace, viewer_api: APIClient
) -> None:
    assert viewer_api.get(url("api_control_list", w.project.pk) + "?" + query).status_code == 200

"""Step 4 of the tenant-isolation walk for the changes that need If-Match: a PUT or PATCH of one of A's objects,
sent with its current ETag and a body naming B's objects, is refused (400 or 404) and changes nothing of A's or
B's. The walk itself sends no If-Match, which these routes answer 428 before reading the body (see
tests/tenancy_workspace_api.py)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from projects.api_workspace import etag
from tests.tenancy import B_MARKER, all_routes, build_worlds, references, sample, snapshot
from tests.tenancy_workspace_api import WRITES_WITH_REFERENCES_UNDER_IF_MATCH

ROUTES = {route.name: route for route in all_routes()}


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("name", list(WRITES_WITH_REFERENCES_UNDER_IF_MATCH))
def test_a_change_naming_bs_objects_is_refused_with_a_valid_if_match(
    db: None, name: str, method: str
) -> None:
    a, b = build_worlds()
    route = ROUTES[name]
    values = {}
    for param in route.params:
        found = sample(name, param)
        assert found is not None
        values[param] = found.value(a)
    target, body = WRITES_WITH_REFERENCES_UNDER_IF_MATCH[name]
    url, client = reverse(name, kwargs=values), Client()
    headers = {"Authorization": f"Bearer {a.actor_token_plaintext}"}
    read = client.get(url, headers=headers)  # as a client would; it also records the token's first use
    assert read["ETag"] == etag(getattr(a, target))
    headers["If-Match"] = read["ETag"]
    a_before, b_before = snapshot(a.organisation), snapshot(b.organisation)
    response = getattr(client, method)(
        url, json.dumps(body(a, b)), content_type="application/json", headers=headers
    )
    assert response.status_code in {400, 404}, response.content
    assert B_MARKER not in response.content.decode()
    if response.status_code == 400:  # refused for B's references, not for anything else in the body
        refused = set(response.json()["error"]["fields"])
        assert refused, response.content
        assert refused <= set(references(b)), response.content
    assert snapshot(a.organisation) == a_before
    assert snapshot(b.organisation) == b_before


def test_every_change_needing_if_match_is_replayed_here() -> None:
    """The object routes whose writes are only PUT and PATCH with references: each is replayed above."""
    detail_routes = {name for name in ROUTES if name.startswith("api_") and name.endswith("_detail")}
    with_references = {name.removeprefix("api_").removesuffix("_detail") for name in detail_routes} - {
        "asset",  # text and ratings only
        "link",  # an effectiveness only
        "organisation",
        "team",
        "membership",
        "invitation",
        "token",
    }
    assert {f"api_{name}_detail" for name in with_references} == set(WRITES_WITH_REFERENCES_UNDER_IF_MATCH)

"""Walk every URL of the project as an owner of organisation A and try to reach organisation B's data.

See tests/tenancy.py for the sample registry. A route whose parameters have no registered samples, a write
route that is not declared, or a model with no path to its organisation makes this test fail.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests import (
    tenancy,
    tenancy_collaboration_api,
    tenancy_risks_api,
    tenancy_risks_ui,
    tenancy_workspace_api,
    tenancy_workspace_ui,
)
from tests.tenancy import (
    B_MARKER,
    OUR_APPS,
    OWNERSHIP,
    Kind,
    Route,
    Sample,
    World,
    all_routes,
    build_worlds,
    references,
    sample,
    snapshot,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response  # only django-stubs has it

ROUTES = all_routes()
WRITES_WITH_REFERENCES = (
    tenancy.WRITES_WITH_REFERENCES
    | tenancy_workspace_ui.WRITES_WITH_REFERENCES
    | tenancy_workspace_api.WRITES_WITH_REFERENCES
    | tenancy_risks_ui.WRITES_WITH_REFERENCES
    | tenancy_risks_api.WRITES_WITH_REFERENCES
    | tenancy_collaboration_api.WRITES_WITH_REFERENCES
)
WRITES_WITHOUT_REFERENCES = (
    tenancy.WRITES_WITHOUT_REFERENCES
    | tenancy_workspace_ui.WRITES_WITHOUT_REFERENCES
    | tenancy_workspace_api.WRITES_WITHOUT_REFERENCES
    | tenancy_risks_ui.WRITES_WITHOUT_REFERENCES
    | tenancy_risks_api.WRITES_WITHOUT_REFERENCES
    | tenancy_collaboration_api.WRITES_WITHOUT_REFERENCES
)
METHODS = ("get", "post", "put", "patch", "delete")
WRITE_METHODS = ("post", "put", "patch", "delete")
GUARDED = {Kind.TENANT, Kind.PERSONAL}


@dataclass
class Walk:
    a: World
    b: World
    client: Client

    def url(self, route: Route, values: dict[str, object]) -> str:
        return reverse(route.name, kwargs=values)

    def values(self, route: Route, world_for: dict[str, World]) -> dict[str, object]:
        return {param: _sample(route, param).value(world_for[param]) for param in route.params}

    def send(
        self, route: Route, method: str, url: str, body: dict[str, object] | None = None, htmx: bool = False
    ) -> "Response":
        headers = {"HX-Request": "true"} if htmx else {}
        body = body or {}
        if route.is_api:
            headers["Authorization"] = f"Bearer {self.a.actor_token_plaintext}"
            client = Client()  # token only: no session
            if method == "get":
                return client.get(url, body, headers=headers)  # type: ignore[arg-type]
            if method in {"put", "patch", "delete"}:
                # Writes of an object need the version read (If-Match), else they are 428 before the body
                # is read; a client that can read the object sends its ETag, so its body is what is judged.
                etag = client.get(url, headers=headers).headers.get("ETag")
                if etag:
                    headers["If-Match"] = etag
            return getattr(client, method)(
                url, json.dumps(body), content_type="application/json", headers=headers
            )
        if method in {"get", "post"}:
            return getattr(self.client, method)(url, body, headers=headers)
        return getattr(self.client, method)(
            url,
            urlencode(body, doseq=True),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )


def _sample(route: Route, param: str) -> Sample:
    found = sample(route.name, param)
    assert found is not None
    return found


def _every_request(walk: Walk, route: Route, url: str) -> Iterator[tuple[str, bool, "Response"]]:
    for method in METHODS:
        for htmx in (False, True):
            yield method, htmx, walk.send(route, method, url, htmx=htmx)


def _text(response: "Response") -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")


@pytest.fixture
def walk(db: None) -> Walk:
    a, b = build_worlds()
    client = Client()
    client.force_login(a.actor)
    return Walk(a=a, b=b, client=client)


def test_every_route_has_a_name() -> None:
    unnamed = [route.pattern for route in ROUTES if not route.name]
    assert not unnamed, f"Name these routes so the walk can register samples for them: {unnamed}"


def test_every_model_has_a_path_to_its_organisation() -> None:
    ours = {model for model in apps.get_models() if model._meta.app_label in OUR_APPS}
    missing = sorted(model._meta.label for model in ours - set(OWNERSHIP))
    assert not missing, f"Add these models to OWNERSHIP in tests/tenancy.py: {missing}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name or route.pattern)
def test_organisation_b_is_out_of_reach(route: Route, walk: Walk) -> None:
    missing = [param for param in route.params if sample(route.name, param) is None]
    assert not missing, f"Register samples for {route.name} ({route.pattern}) in tests/tenancy.py: {missing}"
    kinds = {_sample(route, param).kind for param in route.params}
    b_before = snapshot(walk.b.organisation)

    # 1. B's values, and A's values with one of B's mixed in, answer 404 on guarded routes.
    worlds = [{param: walk.b for param in route.params}]
    guarded = [param for param in route.params if _sample(route, param).kind in GUARDED]
    if len(guarded) > 1:
        worlds += [{p: (walk.b if p == param else walk.a) for p in route.params} for param in guarded]
    if route.params:
        for world_for in worlds:
            url = walk.url(route, walk.values(route, world_for))
            for method, htmx, response in _every_request(walk, route, url):
                if kinds & GUARDED:
                    assert response.status_code in {404, 405}, f"{method.upper()} {url} (htmx={htmx})"
                if Kind.CAPABILITY not in kinds:
                    assert B_MARKER not in _text(response), f"B's data leaked at {method.upper()} {url}"

    # 2. The control: A's own values reach the view, so a wrong sample cannot pass by accident.
    a_values = walk.values(route, {param: walk.a for param in route.params})
    a_url = walk.url(route, a_values)
    if kinds & (GUARDED | {Kind.CAPABILITY}):
        first = next((r for m, h, r in _every_request(walk, route, a_url) if r.status_code != 405), None)
        assert first is not None, f"{route.name} answers 405 to every method"
        assert first.status_code != 404, f"A's own sample answers 404 at {a_url}"

    # 3. List pages, with B's references in the filters, answer without B's data.
    get = walk.send(route, "get", a_url, body=references(walk.b))
    if get.status_code != 405:
        assert get.status_code < 500
        assert B_MARKER not in _text(get), f"B's data leaked at GET {a_url} with B's filters"
    for htmx in (False, True):
        plain = walk.send(route, "get", a_url, htmx=htmx)
        if plain.status_code != 405 and not kinds & GUARDED:
            assert plain.status_code in {200, 302}, f"GET {a_url} answers {plain.status_code}"
            assert B_MARKER not in _text(plain)

    # 4. Writes naming B's objects are refused and change nothing, for A or for B.
    if route.name in WRITES_WITH_REFERENCES:
        body = WRITES_WITH_REFERENCES[route.name](walk.a, walk.b)
        a_before = snapshot(walk.a.organisation)
        refused_somewhere = False
        for method in ("post", "put", "patch"):
            response = walk.send(route, method, a_url, body=body)
            if response.status_code == 405:
                continue
            refused_somewhere = True
            assert response.status_code in {400, 404}, f"{method.upper()} {a_url} with B's ids: {response}"
        assert refused_somewhere, f"{route.name} accepts no write; remove it from WRITES_WITH_REFERENCES"
        assert snapshot(walk.a.organisation) == a_before

    # 5. Every route that accepts a write is declared, so new writes cannot skip step 4.
    accepts_write = any(walk.send(route, method, a_url).status_code != 405 for method in WRITE_METHODS)
    if accepts_write:
        assert route.name in WRITES_WITH_REFERENCES or route.name in WRITES_WITHOUT_REFERENCES, (
            f"{route.name} accepts writes: declare it in tests/tenancy.py"
        )

    assert snapshot(walk.b.organisation) == b_before, "B's rows changed"

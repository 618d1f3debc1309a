import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.validation import validate_schema

METHODS = ("get", "post", "put", "patch", "delete")


def api_operations() -> set[tuple[str, str]]:
    """(path template, method) for every handler of every API route, as the schema should list them: the
    routes of every app's api_urls mounted under /api/v1/."""
    operations = set()
    for mounted in get_resolver().url_patterns:
        if not (isinstance(mounted, URLResolver) and str(mounted.pattern) == "api/v1/"):
            continue
        for pattern in mounted.url_patterns:
            assert isinstance(pattern, URLPattern)
            path = "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
            view = pattern.callback.view_class  # type: ignore[attr-defined]
            operations |= {(path, method) for method in METHODS if hasattr(view, method)}
    return operations


def schema(client: Client) -> dict[str, object]:
    response = client.get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_the_schema_is_valid_openapi_3(db: None, client: Client) -> None:
    body = schema(client)
    assert str(body["openapi"]).startswith("3.")
    validate_schema(body)


def test_the_schema_documents_every_api_operation(db: None, client: Client) -> None:
    paths = schema(client)["paths"]
    assert isinstance(paths, dict)
    documented = {(path, method) for path, operations in paths.items() for method in operations}
    expected = api_operations()
    assert len(expected) == 125
    assert documented == expected


def test_every_operation_has_a_unique_id_and_documents_its_errors(db: None, client: Client) -> None:
    paths = schema(client)["paths"]
    assert isinstance(paths, dict)
    operations = [operation for path in paths.values() for operation in path.values()]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    for operation in operations:
        assert "401" in operation["responses"], operation["operationId"]


def test_the_docs_render_offline(db: None, client: Client) -> None:
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<div id="swagger-ui">' in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset

"""The OpenAPI schema of the workspace API: generated without a warning, with the concurrency contract."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from tests.api.test_schema import api_operations

WORKSPACE = "/api/v1/organisations/{org_slug}/projects/"

type Paths = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema as `manage.py spectacular --fail-on-warn` writes it: a warning fails it."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    loaded: dict[str, Any] = yaml.safe_load(Path(target).read_text())
    return loaded


@pytest.fixture(scope="module")
def paths(document: dict[str, Any]) -> Paths:
    """The workspace's paths."""
    everything: Paths = document["paths"]
    return {path: operations for path, operations in everything.items() if path.startswith(WORKSPACE)}


@pytest.fixture(scope="module")
def schemas(document: dict[str, Any]) -> Paths:
    found: Paths = document["components"]["schemas"]
    return found


def test_the_schema_generates_without_warnings_and_lists_every_workspace_operation(paths: Paths) -> None:
    documented = {(path, method) for path, operations in paths.items() for method in operations}
    expected = {(path, method) for path, method in api_operations() if path.startswith(WORKSPACE)}
    # with the model export, the model's review and the comments on a project, its threats and controls
    assert len(expected) == 68
    assert documented == expected


@pytest.mark.parametrize(
    ("method", "errors"),
    [
        ("put", {"400", "401", "403", "404", "412", "428"}),
        ("patch", {"400", "401", "403", "404", "412", "428"}),
        ("delete", {"401", "403", "404", "412", "428"}),
    ],
)
def test_every_change_and_delete_requires_if_match_and_documents_its_answers(
    method: str, errors: set[str], paths: Paths
) -> None:
    operations = [operations[method] for operations in paths.values() if method in operations]
    assert len(operations) == 8
    for operation in operations:
        headers = [(p["name"], p["required"]) for p in operation["parameters"] if p["in"] == "header"]
        assert headers == [("If-Match", True)], operation["operationId"]
        assert errors <= set(operation["responses"]), operation["operationId"]
        conflict = operation["responses"]["412"]["content"]["application/json"]["schema"]["$ref"]
        assert conflict.endswith("Conflict"), operation["operationId"]


def test_reads_document_their_etag_and_lists_their_filters(paths: Paths) -> None:
    threat = paths[WORKSPACE + "{project_id}/threats/{threat_number}/"]["get"]
    assert "ETag" in threat["responses"]["200"]["headers"]
    assert "304" in threat["responses"]
    threats = paths[WORKSPACE + "{project_id}/threats/"]["get"]
    filters = {p["name"] for p in threats["parameters"] if p["in"] == "query"}
    assert filters == {
        "status",
        "stride",
        "component",
        "flow",
        "owner",
        "control",
        "new",
        "q",
        "order",
        "page",
        "page_size",
    }
    assert threats["tags"] == ["threats"]


def test_every_list_documents_its_weak_etag_and_304(paths: Paths) -> None:
    lists = [
        operations["get"]
        for path, operations in paths.items()
        if "get" in operations and operations["get"]["operationId"].endswith("_list")
    ]
    assert len(lists) == 14  # with the model's review history and the comment lists
    for operation in lists:
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"If-None-Match"}, operation["operationId"]
        assert "304" in operation["responses"], operation["operationId"]
        assert "ETag" in operation["responses"]["200"]["headers"], operation["operationId"]


@pytest.mark.parametrize(
    ("path", "name", "key"),
    [
        ("{project_id}/threats/bulk-status/", "Threat", "number"),
        ("{project_id}/controls/bulk-status/", "Control", "id"),
    ],
)
def test_the_bulk_status_changes_document_their_body_and_answers(
    paths: Paths, schemas: Paths, path: str, name: str, key: str
) -> None:
    operation = paths[WORKSPACE + path]["post"]
    assert {"200", "400", "401", "403", "404", "412"} <= set(operation["responses"])
    conflict = operation["responses"]["412"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict == f"#/components/schemas/{name}BulkConflict"
    assert set(schemas[f"{name}Stale"]["properties"]) == {key, "version"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == f"#/components/schemas/{name}BulkStatusRequest"
    item = schemas[f"{name}BulkStatusRequest"]["properties"]["items"]
    assert item["maxItems"] == 200
    assert item["minItems"] == 1


def test_the_control_list_documents_its_sorting_and_its_filters(paths: Paths) -> None:
    controls = paths[WORKSPACE + "{project_id}/controls/"]["get"]
    filters = {p["name"]: p for p in controls["parameters"] if p["in"] == "query"}
    assert set(filters) == {"status", "owner", "due", "threat", "q", "order", "page", "page_size"}
    assert filters["due"]["schema"]["enum"] == ["overdue", "soon"]
    assert {"title", "-title", "cost", "-due", "threats"} <= set(filters["order"]["schema"]["enum"])

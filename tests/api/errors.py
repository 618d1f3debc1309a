"""Reading the API's error body: {"error": {"code", "message", "fields"}}."""

from typing import Any


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    return error


def field_errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    fields: dict[str, Any] = error["fields"]
    return fields

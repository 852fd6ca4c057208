"""The OpenAPI document says every status the API really answers (DESIGN.md section 6).

Routes declare their own outcomes (201, 404, 409, 422 ...); the answers every route of a kind can give are added
here, in one place, so a new route cannot forget them:

- 401 on every route behind the bearer token (no token, or one that is not valid);
- 400 on every route with a body (the body is not JSON, or an `Idempotency-Key` that is not 1-255 printable
  ASCII characters);
- 422 on every route with parameters or a body (a value that does not fit its field; the `detail` names it);
- 404 on every route with an id in its path (missing, or another user's: the same answer);
- 503 on every route that writes the ledger (busy through every retry, with `Retry-After`; or the append-only
  protection found missing).

`tests/test_openapi_conformance.py` runs schemathesis with every check against the app and fails on a mismatch.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

ERROR = {
    "type": "object",
    "properties": {"detail": {"description": "a message, or one message per field with its location"}},
    "required": ["detail"],
}
WHY = {
    400: "Malformed request: the body is not JSON, or the Idempotency-Key header is not 1-255 printable ASCII",
    401: "No valid bearer token",
    404: "Not found (another user's object answers exactly the same)",
    422: "Invalid input: `detail` names each field and says why",
    503: "The ledger is busy (retry, see Retry-After) or its append-only protection is missing; nothing recorded",
}
# Routes whose writes go through the ledger (ledger.services.write), as "METHOD /path" in the document.
LEDGER_WRITES = (
    "post /api/v1/protocols",
    "patch /api/v1/protocols/{protocol_id}",
    "post /api/v1/doses",
    "post /api/v1/entries/{entry_id}/corrections",
    "post /api/v1/side-effects",
    "post /api/v1/metrics",
    "post /api/v1/supplies",
    "post /api/v1/supplies/{supply_id}/reconstitute",
    "post /api/v1/supplies/{supply_id}/events",
)


def _add(operation: dict[str, Any], status: int) -> None:
    responses = operation.setdefault("responses", {})
    key = str(status)
    if key not in responses:
        responses[key] = {"description": WHY[status], "content": {"application/json": {"schema": ERROR}}}


def document_statuses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the statuses every route of its kind answers (see the module's docstring) to each operation."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if operation.get("security"):
                _add(operation, 401)
            if "requestBody" in operation:
                _add(operation, 400)
            if "requestBody" in operation or operation.get("parameters"):
                _add(operation, 422)
            if "{" in path:
                _add(operation, 404)
            if f"{method} {path}" in LEDGER_WRITES:
                _add(operation, 503)
    return schema


class DocumentedAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the statuses above on every route."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        return document_statuses(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))

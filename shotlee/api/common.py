"""What every router shares: auth, errors, idempotency and the JSON response."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import StrictFloat, StrictInt, StrictStr

from shotlee.accounts.services import user_for_token
from shotlee.accounts.throttle import check_write_rate
from shotlee.ledger import services as ledger
from shotlee.lib.errors import InvalidInput
from shotlee.middleware import profile_of

# Amounts and hours: a JSON number or a decimal string, never a boolean.
Number = StrictStr | StrictInt | StrictFloat


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.profile = profile_of(user)  # type: ignore[attr-defined]
            check_write_rate(request)  # 429 past the per-user write rate (accounts.throttle)
        return user


def invalid_body(exc: InvalidInput) -> dict[str, Any]:
    """422 with one message per field, in the shape Ninja uses for its own validation."""
    return {
        "detail": [{"loc": ["body", field], "msg": msg, "type": "value_error"} for field, msg in exc.errors.items()]
    }


def respond(outcome: ledger.Outcome) -> HttpResponse:
    response = JsonResponse(outcome.body, status=outcome.status)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def idempotency(request: HttpRequest) -> dict[str, Any]:
    """The write options for `ledger.write`: the key and a fingerprint of the request."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return {}
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise HttpError(400, "Idempotency-Key must be 1 to 255 printable ASCII characters")
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = request.body.decode("latin-1")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    return {"idempotency_key": key, "fingerprint": fingerprint}

"""What every router shares: auth, errors, idempotency and the JSON response."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import AfterValidator, BeforeValidator, StrictFloat, StrictInt, StrictStr, field_validator

from shotlee.accounts.services import user_for_token
from shotlee.accounts.throttle import check_write_rate
from shotlee.ledger import services as ledger
from shotlee.lib import fields, inputs
from shotlee.lib.errors import InvalidInput
from shotlee.middleware import profile_of

# Amounts and hours: a JSON number or a decimal string, never a boolean.
Number = StrictStr | StrictInt | StrictFloat

# ISO 8601 with a UTC offset (RFC 3339), as the OpenAPI `date-time` format says; never an epoch number like 0.5,
# which Pydantic would otherwise read as seconds since 1970.
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})")


def _iso_text(value: object) -> object:
    if isinstance(value, str) and ISO_TIME.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, datetime):
        return value
    raise ValueError(f"must be a date and time in ISO 8601 with a UTC offset, like {inputs.OFFSET_EXAMPLE}")


# A time a record is about: must convert to UTC (the build_* functions then check its range).
Time = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(inputs.utc_time)]
# A time a list is filtered by: clamped to what a datetime holds in UTC.
FilterTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(inputs.filter_time)]


class Input(Schema):
    """Every request schema (bodies and query filters): text the database can store, in every field."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        for text in inputs.texts_in(value):
            inputs.storable_text(text)
        return value


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.profile = profile_of(user)  # type: ignore[attr-defined]
            check_write_rate(request)  # 429 past the per-user write rate (accounts.throttle)
        return user


def invalid_body(exc: InvalidInput) -> dict[str, Any]:
    """422 with one message per field, in the shape Ninja uses for its own validation: `loc` and `field` keep the
    key for programs, `msg` names the field as the pages' label does ("When: is in the future")."""
    return {"detail": [_item(["body", field], msg) for field, msg in exc.errors.items()]}


def _item(loc: list[Any], msg: str, kind: str = "value_error") -> dict[str, Any]:
    key = next((str(part) for part in reversed(loc) if isinstance(part, str) and part not in ("body", "query")), "")
    if not key:
        return {"loc": loc, "msg": msg, "type": kind}
    return {"loc": loc, "msg": fields.message(key, msg), "type": kind, "field": key, "label": fields.label(key)}


def schema_errors(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Ninja's own 422 (a value that does not fit its schema), its messages named by the fields' labels too."""
    detail = []
    for error in errors:
        msg = str(error.get("msg", ""))
        msg = msg.removeprefix("Value error, ")  # pydantic's prefix on our validators' messages
        detail.append(_item(list(error.get("loc", [])), msg, str(error.get("type", "value_error"))))
    return {"detail": detail}


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

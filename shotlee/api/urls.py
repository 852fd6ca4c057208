"""The JSON API under /api/v1/ (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import ValidationError

from shotlee.accounts.throttle import PasswordChecksBusy, RateExceeded, busy_response
from shotlee.api import auth, charts, doses, exports, guides, health, ledger, protocols, supplies
from shotlee.api.common import BearerAuth, invalid_body, schema_errors
from shotlee.api.openapi import DocumentedAPI
from shotlee.ledger.guard import MESSAGE as UNPROTECTED
from shotlee.ledger.guard import LedgerUnprotected
from shotlee.ledger.records import CorrectionRefused
from shotlee.ledger.services import IdempotencyMismatch, LedgerBusy
from shotlee.lib import audit
from shotlee.lib.errors import InvalidInput, WarningsNotAcknowledged


class Api(DocumentedAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        """Every authenticated write may also answer 429 (the per-user write rate, accounts.throttle)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                if method in ("post", "put", "patch", "delete") and operation.get("security"):
                    operation["responses"].setdefault(
                        429, {"description": "Too many writes: retry after the seconds in Retry-After."}
                    )
        return schema


api = Api(
    title="Shotlee API",
    version="1",
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/auth", auth.router)
api.add_router("/guides", guides.router)
api.add_router("/protocols", protocols.router)
api.add_router("/doses", doses.router)
api.add_router("/entries", doses.entries_router)
api.add_router("/side-effects", health.side_effects_router)
api.add_router("/metrics", health.metrics_router)
api.add_router("/metric-types", health.types_router)
api.add_router("/ledger", ledger.router)
api.add_router("/supplies", supplies.router)
api.add_router("/calculator", supplies.calculator_router)
api.add_router("", exports.router)
api.add_router("/charts", charts.router)


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return JsonResponse(invalid_body(exc), status=422)


@api.exception_handler(ValidationError)
def schema_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return JsonResponse(schema_errors(list(exc.errors)), status=422)


@api.exception_handler(WarningsNotAcknowledged)
def warnings_not_acknowledged(request: HttpRequest, exc: WarningsNotAcknowledged) -> HttpResponse:
    return JsonResponse(
        {
            "detail": "Not recorded: confirm each warning by sending its code in `acknowledge`.",
            "warnings": [w.as_dict() for w in exc.warnings],
        },
        status=409,
    )


@api.exception_handler(CorrectionRefused)
def correction_refused(request: HttpRequest, exc: CorrectionRefused) -> HttpResponse:
    return JsonResponse({"detail": str(exc)}, status=409)


@api.exception_handler(IdempotencyMismatch)
def idempotency_mismatch(request: HttpRequest, exc: IdempotencyMismatch) -> HttpResponse:
    audit.event("idempotency.mismatch", actor=getattr(request.user, "pk", None), path=request.path)
    return JsonResponse({"detail": "This Idempotency-Key was used with a different request."}, status=422)


@api.exception_handler(LedgerBusy)
def ledger_busy(request: HttpRequest, exc: LedgerBusy) -> HttpResponse:
    response = JsonResponse({"detail": "The server is busy; retry with the same Idempotency-Key."}, status=503)
    response["Retry-After"] = "1"
    return response


@api.exception_handler(RateExceeded)
def rate_exceeded(request: HttpRequest, exc: RateExceeded) -> HttpResponse:
    response = JsonResponse({"detail": f"Too many requests: retry in {exc.retry_after} seconds."}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PasswordChecksBusy)
def password_checks_busy(request: HttpRequest, exc: PasswordChecksBusy) -> HttpResponse:
    return busy_response(request)


@api.exception_handler(ObjectDoesNotExist)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return JsonResponse({"detail": "Not Found"}, status=404)


@api.exception_handler(Http404)
def http404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return JsonResponse({"detail": "Not Found"}, status=404)


@api.exception_handler(LedgerUnprotected)
def ledger_unprotected(request: HttpRequest, exc: LedgerUnprotected) -> HttpResponse:
    return JsonResponse({"detail": UNPROTECTED}, status=503)

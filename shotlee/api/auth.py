from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router
from ninja.errors import HttpError

from shotlee.accounts.http import ApiCall
from shotlee.accounts.services import RegistrationError, issue_token, register_user, revoke_calling_token
from shotlee.api.common import Input

router = Router(tags=["auth"])


class Credentials(Input):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)


class Registration(Credentials):
    timezone: str = Field("UTC", max_length=64)


@router.post("/register", auth=None, response={201: dict, 403: dict, 422: dict})
def register(request: HttpRequest, payload: Registration) -> JsonResponse:
    if not settings.OPEN_SIGNUP:
        raise HttpError(403, "Sign-up is closed on this server.")
    try:
        user = register_user(payload.username, payload.password, payload.timezone)
    except RegistrationError as exc:
        detail = [
            {"loc": ["body", field], "msg": " ".join(msgs), "type": "value_error"} for field, msgs in exc.errors.items()
        ]
        return JsonResponse({"detail": detail}, status=422)
    return JsonResponse({"id": user.pk, "username": user.username}, status=201)


@router.post("/token", auth=None, response={201: dict, 401: dict})
def token(request: HttpRequest, payload: Credentials) -> JsonResponse:
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise HttpError(401, "Invalid username or password.")
    return JsonResponse({"token": issue_token(user)}, status=201)


@router.delete("/token", response={204: None, 401: dict})
def revoke_token(request: ApiCall) -> HttpResponse:
    """Revoke the token this request was made with; other tokens and sessions are untouched."""
    revoke_calling_token(request.auth, request.headers.get("Authorization", ""))
    return HttpResponse(status=204)

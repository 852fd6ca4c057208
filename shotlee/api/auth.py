from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router
from ninja.errors import HttpError

from shotlee.accounts import invites, twostep
from shotlee.accounts.http import ApiCall
from shotlee.accounts.services import RegistrationError, issue_token, register_user, revoke_calling_token
from shotlee.accounts.throttle import check_signup_rate, password_slot
from shotlee.api.common import Input

router = Router(tags=["auth"])


class Credentials(Input):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)
    code: str | None = Field(
        None, max_length=64, description="With two-step verification on: the app's current code or a recovery code."
    )


class Registration(Input):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)
    timezone: str = Field("UTC", max_length=64)
    invite: str | None = Field(
        None, max_length=100, description="The secret of an invite link, when sign-up is closed."
    )


REGISTERED = "If the username was free, the account now exists: get a token with POST /api/v1/auth/token."


@router.post("/register", auth=None, response={201: dict, 403: dict, 422: dict, 429: dict})
def register(request: HttpRequest, payload: Registration) -> JsonResponse:
    """201 whether or not the username was free (the same body either way), so the answer tells no one which
    usernames exist; 422 names what else is wrong."""
    try:
        invite = invites.admission(payload.invite or "")
    except invites.SignupClosed as closed:
        raise HttpError(403, str(closed)) from None
    check_signup_rate(request)
    try:
        register_user(payload.username, payload.password, payload.timezone, invite=invite)
    except RegistrationError as exc:
        errors = {field: msgs for field, msgs in exc.errors.items() if not (exc.taken and field == "username")}
        if errors:
            detail = [
                {"loc": ["body", field], "msg": " ".join(msgs), "type": "value_error"} for field, msgs in errors.items()
            ]
            return JsonResponse({"detail": detail}, status=422)
        with password_slot():
            make_password(payload.password)  # the hash a new account costs, so a taken name answers as slowly
    return JsonResponse({"username": payload.username.strip(), "detail": REGISTERED}, status=201)


NEEDS_CODE = (
    "This account uses two-step verification: send the app's current 6-digit code (or a recovery code) as code."
)


@router.post("/token", auth=None, response={201: dict, 401: dict, 429: dict, 503: dict})
def token(request: HttpRequest, payload: Credentials) -> JsonResponse:
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise HttpError(401, "Invalid username or password.")
    if twostep.is_on(user) and not twostep.check(user, payload.code or ""):
        # A wrong code counts as a failed log-in of the account (django-axes).
        user_login_failed.send(sender=__name__, credentials={"username": payload.username}, request=request)
        raise HttpError(401, NEEDS_CODE)
    return JsonResponse({"token": issue_token(user)}, status=201)


@router.delete("/token", response={204: None, 401: dict})
def revoke_token(request: ApiCall) -> HttpResponse:
    """Revoke the token this request was made with; other tokens and sessions are untouched."""
    revoke_calling_token(request.auth, request.headers.get("Authorization", ""))
    return HttpResponse(status=204)

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from shotlee.accounts import invites, twostep
from shotlee.accounts.http import SignedIn
from shotlee.accounts.models import ApiToken, CalendarToken, Profile, valid_timezone
from shotlee.accounts.services import (
    TOKEN_NAME_MAX,
    RegistrationError,
    end_other_access,
    erase_account,
    issue_token,
    register_user,
    rotate_calendar_token,
)
from shotlee.accounts.site import public_url, webcal
from shotlee.accounts.throttle import RateExceeded, check_password, check_signup_rate
from shotlee.accounts.twostep_views import WRONG_CODE
from shotlee.lib.metrics import BUILT_IN, PREFERENCES


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: SignedIn) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    raw_invite = request.POST.get("invite") or request.GET.get("invite") or ""
    try:
        invite = invites.admission(raw_invite)
    except invites.SignupClosed as closed:
        return render(request, "accounts/signup_closed.html", {"reason": str(closed)}, status=403)
    errors: dict[str, list[str]] = {}
    values = {"username": "", "timezone": "UTC"}
    # After signing up, go back where the person was going (e.g. a guide's "Track this protocol").
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        try:
            check_signup_rate(request)
        except RateExceeded as exc:
            response = render(request, "accounts/signup_closed.html", {"reason": TOO_MANY_SIGNUPS}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        values = {"username": request.POST.get("username", ""), "timezone": request.POST.get("timezone") or "UTC"}
        if not valid_timezone(values["timezone"]):
            values["timezone"] = "UTC"
        password, confirm = request.POST.get("password", ""), request.POST.get("password2", "")
        if password != confirm:
            errors["password2"] = ["The two passwords differ."]
        else:
            try:
                user = register_user(values["username"], password, values["timezone"], invite=invite)
            except RegistrationError as exc:
                errors = exc.errors
            else:
                login(request, user, backend="shotlee.accounts.backends.ProfileBackend")
                return redirect(next_url or "welcome")  # the first-run page: a guide, or a protocol by hand
    context = {"errors": errors, "values": values, "next": next_url, "invite": raw_invite if invite else ""}
    return render(request, "accounts/signup.html", context, status=422 if errors else 200)


TOO_MANY_SIGNUPS = "Too many sign-up attempts from your network. Wait an hour, then try again."


@require_http_methods(["GET", "POST"])
def account_settings(request: SignedIn) -> HttpResponse:
    profile = request.profile
    error = ""
    calendar = CalendarToken.objects.filter(user=request.user).first()
    new_calendar_url = ""
    if request.method == "POST" and request.POST.get("calendar") == "rotate":
        token = rotate_calendar_token(request.user)
        new_calendar_url = public_url(reverse("reports:calendar", args=[token]), request)
        calendar = CalendarToken.objects.get(user=request.user)
        context = {
            "profile": profile,
            "calendar": calendar,
            "new_calendar_url": new_calendar_url,
            "new_calendar_webcal": webcal(new_calendar_url),
            "unit_rows": _unit_rows(profile),
        }
        return render(request, "accounts/settings.html", context)
    if request.method == "POST" and request.POST.get("form") == "email":
        email = request.POST.get("email", "").strip()
        try:
            if email:
                validate_email(email)
        except ValidationError:
            error = f"{email!r} is not an email address; it should look like name@example.org."
        else:
            request.user.email = email
            request.user.save(update_fields=["email"])
            return redirect(reverse("accounts:settings") + "#email")
        return render(
            request,
            "accounts/settings.html",
            {"profile": profile, "email_error": error, "calendar": calendar, "unit_rows": _unit_rows(profile)},
            status=422,
        )
    if request.method == "POST" and request.POST.get("form") == "units":
        chosen = {key: request.POST.get(f"unit-{key}") for key in PREFERENCES}
        units = json.dumps({k: v for k, v in chosen.items() if v in PREFERENCES[k]}, sort_keys=True)
        Profile.objects.filter(user=request.user).update(units=units)  # by user id: docs/deploy.md, "Scaling out"
        return redirect(reverse("accounts:settings") + "#units")
    if request.method == "POST":
        tz = request.POST.get("timezone", "")
        if valid_timezone(tz):
            Profile.objects.filter(user=request.user).update(timezone=tz)
            return redirect("accounts:settings")
        error = f"Unknown time zone {tz!r}; use a name like Europe/London."
    context = {
        "profile": profile,
        "error": error,
        "calendar": calendar,
        "unit_rows": _unit_rows(profile),
        "two_step_on": twostep.is_on(request.user),
    }
    return render(request, "accounts/settings.html", context)


def _unit_rows(profile: Profile) -> list[dict[str, object]]:
    preferred = profile.preferred_units
    return [
        {"key": k, "name": BUILT_IN[k].name, "units": units, "chosen": preferred.get(k, units[0])}
        for k, units in PREFERENCES.items()
    ]


# ---- password change and reset


@require_http_methods(["GET", "POST"])
def password_change(request: SignedIn) -> HttpResponse:
    """The old password, then the new one twice; every other session and every API token ends."""
    form = PasswordChangeForm(request.user, request.POST or None)
    needs_code = twostep.is_on(request.user)
    code_error = ""
    if request.method == "POST" and form.is_valid() and needs_code:
        if not twostep.check(request.user, request.POST.get("code", "")):
            code_error = WRONG_CODE
    if request.method == "POST" and form.is_valid() and not code_error:
        user = form.save()
        end_other_access(user)
        update_session_auth_hash(request, user)  # this session stays; the others no longer match the password
        messages.success(request, "Your password is changed. Other sessions and every API token have ended.")
        return redirect("accounts:settings")
    context = {"form": form, "needs_code": needs_code, "code_error": code_error}
    return render(request, "accounts/password_change.html", context, status=422 if form.errors or code_error else 200)


class ResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's token view; a reset also ends every API token (the sessions end with the old password)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        end_other_access(form.user)
        return response


# ---- API tokens


EXPIRY_CHOICES = {"": None, "30": 30, "90": 90, "365": 365}


@require_http_methods(["GET", "POST"])
def api_tokens(request: SignedIn) -> HttpResponse:
    """Create a named token (shown once), see each token's creation and last use, revoke one."""
    new_token = ""  # nosec B105  # an empty default: the token is made below and shown once
    error = ""
    needs_code = twostep.is_on(request.user)
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=_int(request.POST.get("token")))
        ApiToken.objects.for_user(request.user).filter(pk=token.pk).delete()  # by user and id: one user's row
        messages.success(request, f"The token “{token.name or 'unnamed'}” is revoked; it no longer works.")
        return redirect("accounts:tokens")
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        days = request.POST.get("expires", "")
        if not name:
            error = "Give the token a name, such as the device or script that will use it."
        elif len(name) > TOKEN_NAME_MAX:
            error = f"The name can be at most {TOKEN_NAME_MAX} characters."
        elif days not in EXPIRY_CHOICES:
            error = "Choose when the token expires from the list."
        elif needs_code and not twostep.check(request.user, request.POST.get("code", "")):
            error = WRONG_CODE
        else:
            lifetime = EXPIRY_CHOICES[days]
            expires_at = timezone.now() + timedelta(days=lifetime) if lifetime else None
            new_token = issue_token(request.user, name, expires_at)
    tokens = list(ApiToken.objects.for_user(request.user))
    context = {
        "tokens": tokens,
        "new_token": new_token,
        "error": error,
        "now": timezone.now(),
        "needs_code": needs_code,
    }
    return render(request, "accounts/tokens.html", context, status=422 if error else 200)


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0


# ---- erasure


@require_http_methods(["GET", "POST"])
def delete_account(request: SignedIn) -> HttpResponse:
    """Offer the export first; then, with the password typed again, erase every record and the account."""
    error = ""
    needs_code = twostep.is_on(request.user)
    if request.method == "POST":
        if not check_password(request.user, request.POST.get("password", "")):
            error = "That is not your password. Nothing was deleted."
        elif needs_code and not twostep.check(request.user, request.POST.get("code", "")):
            error = WRONG_CODE + " Nothing was deleted."
        else:
            erase_account(request.user)
            logout(request)
            return render(request, "accounts/deleted.html")
    context = {"error": error, "needs_code": needs_code}
    return render(request, "accounts/delete.html", context, status=422 if error else 200)


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's log-in page sends people to the site's, keeping where they were going."""
    target = reverse("accounts:login")
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        target += "?" + urlencode({"next": next_url})
    return redirect(target)

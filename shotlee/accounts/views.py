from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.accounts.models import CalendarToken, Profile, valid_timezone
from shotlee.accounts.services import RegistrationError, register_user, rotate_calendar_token
from shotlee.lib.metrics import BUILT_IN, PREFERENCES


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: SignedIn) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if not settings.OPEN_SIGNUP:
        return render(request, "accounts/signup_closed.html", status=403)
    errors: dict[str, list[str]] = {}
    values = {"username": "", "timezone": "UTC"}
    # After signing up, go back where the person was going (e.g. a guide's "Track this protocol").
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        values = {"username": request.POST.get("username", ""), "timezone": request.POST.get("timezone") or "UTC"}
        if not valid_timezone(values["timezone"]):
            values["timezone"] = "UTC"
        password, confirm = request.POST.get("password", ""), request.POST.get("password2", "")
        if password != confirm:
            errors["password2"] = ["The two passwords differ."]
        else:
            try:
                user = register_user(values["username"], password, values["timezone"])
            except RegistrationError as exc:
                errors = exc.errors
            else:
                login(request, user, backend="shotlee.accounts.backends.ProfileBackend")
                return redirect(next_url or "home")
    context = {"errors": errors, "values": values, "next": next_url}
    return render(request, "accounts/signup.html", context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
def account_settings(request: SignedIn) -> HttpResponse:
    profile = request.profile
    error = ""
    calendar = CalendarToken.objects.filter(user=request.user).first()
    new_calendar_url = ""
    if request.method == "POST" and request.POST.get("calendar") == "rotate":
        token = rotate_calendar_token(request.user)
        new_calendar_url = request.build_absolute_uri(reverse("reports:calendar", args=[token]))
        calendar = CalendarToken.objects.get(user=request.user)
        context = {
            "profile": profile,
            "calendar": calendar,
            "new_calendar_url": new_calendar_url,
            "unit_rows": _unit_rows(profile),
        }
        return render(request, "accounts/settings.html", context)
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
    return render(
        request,
        "accounts/settings.html",
        {"profile": profile, "error": error, "calendar": calendar, "unit_rows": _unit_rows(profile)},
    )


def _unit_rows(profile: Profile) -> list[dict[str, object]]:
    preferred = profile.preferred_units
    return [
        {"key": k, "name": BUILT_IN[k].name, "units": units, "chosen": preferred.get(k, units[0])}
        for k, units in PREFERENCES.items()
    ]

"""Log-in (the password, then the code when two-step verification is on) and the two-step settings page."""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shotlee.accounts import twostep
from shotlee.accounts.http import SignedIn
from shotlee.accounts.middleware import ENDED
from shotlee.accounts.throttle import check_password, locked_out

PENDING = "_twostep_pending"  # in the not-yet-signed-in session: who passed the password step, and when
SETUP_SECRET = "_twostep_setup"  # nosec B105  # a session key name: the secret being set up, until a code from it checks
PENDING_SECONDS = 5 * 60
PENDING_TRIES = 5
WRONG_PASSWORD = "That is not your password."  # nosec B105  # an error message, not a password

WRONG_CODE = (
    "That code is not right, or it was already used. Type the newest 6-digit code from your app, or a recovery code."
)


class Login(auth_views.LoginView):
    """Django's log-in view; when two-step verification is on, the password only leads to the code step."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not twostep.is_on(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
            "tries": 0,
        }
        return redirect("accounts:login_code")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["ended"] = self.request.session.pop(ENDED, "")
        return context


login_view = login_not_required(Login.as_view())


@login_not_required
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] = request.session.get(PENDING) or {}
    user = None
    if pending and time.time() - pending["at"] <= PENDING_SECONDS:
        user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        request.session[ENDED] = "The log-in took too long. Type your password again."
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        credentials = {"username": user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            return locked_out(request)
        if twostep.check(user, request.POST.get("code", "")):
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            return redirect(pending["next"])
        # A wrong code counts as a failed log-in of this account (django-axes locks it out like a wrong password).
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        pending["tries"] += 1
        if pending["tries"] >= PENDING_TRIES:
            request.session.pop(PENDING, None)
            request.session[ENDED] = "Too many wrong codes. Type your password again."
            return redirect("accounts:login")
        request.session.modified = True
        error = WRONG_CODE
    return render(request, "accounts/login_code.html", {"error": error}, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
def two_step(request: SignedIn) -> HttpResponse:
    """Turn two-step verification on (scan, type a code and the password), renew recovery codes, or turn it off."""
    user = request.user
    on = twostep.is_on(user)
    errors: dict[str, str] = {}
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "enable" and not on:
        secret = request.session.get(SETUP_SECRET, "")
        if not secret:
            return redirect("accounts:two_step")
        if not check_password(user, request.POST.get("password", "")):
            errors["password"] = WRONG_PASSWORD
        elif not twostep.code_matches_secret(secret, request.POST.get("code", "")):
            errors["code"] = "That code does not match. Type the 6-digit code your app shows now."
        else:
            codes = twostep.turn_on(user, secret, request.POST.get("code", ""))
            if codes is not None:
                request.session.pop(SETUP_SECRET, None)
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "first": True})
            errors["code"] = "That code does not match. Type the 6-digit code your app shows now."
    elif request.method == "POST" and action == "codes" and on:
        if twostep.check(user, request.POST.get("code", "")):
            return render(request, "accounts/recovery_codes.html", {"codes": twostep.new_recovery_codes(user)})
        errors["renew_code"] = WRONG_CODE
    elif request.method == "POST" and action == "disable" and on:
        if not check_password(user, request.POST.get("password", "")):
            errors["off_password"] = WRONG_PASSWORD
        elif not twostep.check(user, request.POST.get("code", "")):
            errors["off_code"] = WRONG_CODE
        else:
            twostep.turn_off(user)
            messages.success(request, "Two-step verification is off. Your password alone now logs you in.")
            return redirect("accounts:settings")
    context: dict[str, Any] = {"on": on, "errors": errors}
    if on:
        context["codes_left"] = twostep.recovery_codes_left(user)
    else:
        secret = request.session.get(SETUP_SECRET) or twostep.new_secret()
        request.session[SETUP_SECRET] = secret
        context["secret"] = twostep.grouped(secret)
        context["qr"] = twostep.qr_svg(twostep.setup_uri(secret, user.get_username()))
    return render(request, "accounts/two_step.html", context, status=422 if errors else 200)

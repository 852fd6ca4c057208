from __future__ import annotations

import json
import uuid

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from shotlee.accounts.http import SignedIn
from shotlee.protocols.models import Protocol
from shotlee.reminders import push, services
from shotlee.reminders.models import PushSubscription

TIME_ERROR = "Remind me at: {value!r} is not a time of day; use hours and minutes, like 08:30, or leave it empty."


@require_http_methods(["GET", "POST"])
def reminder_settings(request: SignedIn) -> HttpResponse:
    """Per protocol: email and/or push, a time of day, the overdue nudge. The settings page shows the same form."""
    if request.method == "POST":
        uids = request.POST.getlist("protocol")
        chosen = []
        for uid in uids:
            try:
                protocol = Protocol.objects.for_user(request.user).get(uid=uuid.UUID(uid))
            except (Protocol.DoesNotExist, ValueError):
                raise Http404 from None  # another person's protocol looks exactly like a missing one
            raw = request.POST.get(f"at-{uid}", "")
            try:
                at = services.parse_time(raw)
            except services.BadTime:
                context = {**services.context(request.user), "reminder_error": TIME_ERROR.format(value=raw)}
                return render(request, "reminders/settings.html", context, status=422)
            chosen.append((protocol, at))
        for protocol, at in chosen:  # every row checked before any is saved
            uid = str(protocol.uid)
            services.save(
                request.user,
                protocol,
                email=uid in request.POST.getlist("email"),
                push_on=uid in request.POST.getlist("push"),
                at=at,
                overdue=uid in request.POST.getlist("overdue"),
            )
        return redirect(reverse("accounts:settings") + "#reminders")
    return render(request, "reminders/settings.html", services.context(request.user))


def _json(request: SignedIn) -> object:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


@require_POST
def push_subscribe(request: SignedIn) -> JsonResponse:
    """The browser's `PushSubscription.toJSON()`, sent by static/js/push.js; 201 when kept."""
    if not push.configured():
        return JsonResponse({"detail": "Push notifications are not set up on this server."}, status=409)
    try:
        subscription = push.parse(_json(request))
    except push.BadSubscription as exc:
        return JsonResponse({"detail": str(exc), "field": exc.field}, status=422)
    push.keep(request.user.pk, subscription)
    return JsonResponse({"detail": "This device will get reminders."}, status=201)


@require_POST
def push_unsubscribe(request: SignedIn) -> HttpResponse:
    """{"endpoint": ...}: this device no longer gets reminders; 404 for an endpoint that is not the person's."""
    body = _json(request)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str):
        return JsonResponse({"detail": "Send the subscription's endpoint.", "field": "endpoint"}, status=422)
    deleted, _ = PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
    if not deleted:
        raise Http404
    return HttpResponse(status=204)

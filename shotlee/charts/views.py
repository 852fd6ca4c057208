"""The dashboard: what to take next, and how the person is doing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render

from shotlee.accounts.http import SignedIn
from shotlee.ledger.models import LedgerHead
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import protocol_status


@login_not_required
def home(request: SignedIn) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home_public.html", {"open_signup": settings.OPEN_SIGNUP})
    tz = request.profile.tz
    rows = [
        {"protocol": protocol, "status": protocol_status(request.user, protocol, tz)}
        for protocol in Protocol.objects.for_user(request.user).active()
    ]
    head = LedgerHead.objects.filter(user=request.user).first()
    return render(request, "home.html", {"rows": rows, "head": head, "tz": tz})

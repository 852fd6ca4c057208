from __future__ import annotations

from datetime import UTC

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse

from shotlee.accounts.models import Profile
from shotlee.accounts.services import user_for_calendar
from shotlee.reports.calendar import build_feed


@login_not_required
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by secret URL, so calendar apps can subscribe; a wrong or rotated token is a 404."""
    user = user_for_calendar(token)
    if user is None:
        raise Http404
    profile = Profile.objects.filter(user=user).first()
    response = HttpResponse(
        build_feed(user, profile.tz if profile else UTC), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="shotlee.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response

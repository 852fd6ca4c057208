"""`{% reminder_settings %}`: the reminders form on the settings page, without the accounts view knowing of it."""

from __future__ import annotations

from typing import Any

from django import template

from shotlee.reminders import services

register = template.Library()


@register.inclusion_tag("reminders/_form.html", takes_context=True)
def reminder_settings(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {**services.context(request.user), "csrf_token": context.get("csrf_token"), "request": request}

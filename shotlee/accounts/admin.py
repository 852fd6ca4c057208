"""The admin's view of invites: make one (the link is shown once, in a message) and see which were used."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from shotlee.accounts.invites import invite_path, make_invite
from shotlee.accounts.models import Invite


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    list_display = ("note", "created_at", "expires_at", "used_at")
    readonly_fields = ("note", "created_by", "created_at", "expires_at", "used_at", "used_by")
    fields = readonly_fields
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """ "Add invite" asks who it is for, then makes it and shows its link (the only time it can be seen)."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST":
            raw = make_invite(created_by=request.user, note=request.POST.get("note", ""))  # type: ignore[arg-type]
            link = request.build_absolute_uri(invite_path(raw))
            self.message_user(request, f"Invite link (works once; shown only now): {link}", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:accounts_invite_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Make an invite link", "opts": self.model._meta}
        return render(request, "admin/accounts/invite/make.html", context)

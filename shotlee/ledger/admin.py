"""The admin shows the ledger and changes nothing."""

from typing import Any

from django.contrib import admin

from shotlee.ledger.models import Checkpoint, Entry


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("user", "seq", "kind", "compound", "occurred_at", "recorded_at")
    list_filter = ("kind",)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("user", "seq", "head_hash", "created_at")

"""Watch-list items in the admin: shown with their action notes, never added, changed or deleted
there (they change only through the engine)."""

from __future__ import annotations

from django.contrib import admin

from watch.models import WatchItem, WatchNote
from workflow.admin import ViewOnly, ViewOnlyAdmin


class WatchNoteInline(ViewOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = WatchNote
    extra = 0


@admin.register(WatchItem)
class WatchItemAdmin(ViewOnlyAdmin):
    list_display = ["loan", "signal", "severity", "state", "account_manager", "due_at", "branch"]
    list_filter = ["state", "signal", "severity", "branch"]
    search_fields = ["loan__reference", "loan__borrower__name"]
    list_select_related = ["loan", "branch", "account_manager"]
    inlines = [WatchNoteInline]

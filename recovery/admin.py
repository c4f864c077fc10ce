"""Collection cases in the admin: shown with their contact attempts and endorsements, never added,
changed or deleted there (they change only through the engine)."""

from __future__ import annotations

from django.contrib import admin

from recovery.models import CollectionCase, ContactAttempt, WriteOffEndorsement
from workflow.admin import ViewOnly, ViewOnlyAdmin


class ContactAttemptInline(ViewOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = ContactAttempt
    extra = 0


class EndorsementInline(ViewOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = WriteOffEndorsement
    extra = 0


@admin.register(CollectionCase)
class CollectionCaseAdmin(ViewOnlyAdmin):
    list_display = ["loan", "state", "opened_at", "days_past_due_at_opening", "branch"]
    list_filter = ["state", "branch"]
    search_fields = ["loan__reference", "loan__borrower__name"]
    list_select_related = ["loan", "branch"]
    inlines = [ContactAttemptInline, EndorsementInline]

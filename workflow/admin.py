"""Read-only admin for the append-only audit trail and deviation log."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from workflow.models import AuditEvent, Deviation, PolicyException


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "seq", "action", "actor", "channel"]
    list_filter = ["action", "channel", "scope"]


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "scope", "transition", "from_state", "kind", "severity", "actor"]
    list_filter = ["kind", "severity", "channel", "scope"]


@admin.register(PolicyException)
class PolicyExceptionAdmin(ReadOnlyAdmin):
    list_display = ["granted_at", "transition", "check_code", "granted_by", "consumed_at"]
    list_filter = ["check_code", "transition"]

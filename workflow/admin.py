"""The admin for the engine's records: the append-only audit trail, the deviation log and policy
exceptions are shown, never added, changed or deleted here; the holiday calendar is edited here."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.http import HttpRequest

from workflow.models import AuditEvent, Deviation, Holiday, PolicyException, VerificationRun


class ViewOnly(BaseModelAdmin):
    """Process data: shown, never added, changed or deleted through the admin, by anyone —
    superusers included. Mix it into a model admin or an inline; "delete selected" goes with it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyAdmin(ViewOnly, admin.ModelAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "seq", "action", "actor", "channel"]
    list_filter = ["action", "channel", "scope"]


@admin.register(VerificationRun)
class VerificationRunAdmin(ViewOnlyAdmin):
    """When the record was verified, what was covered and the first break (verify_audit)."""

    list_display = ["finished_at", "trigger", "scope_loan", "scope_since", "chains", "breaks"]
    list_filter = ["trigger"]


@admin.register(Deviation)
class DeviationAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "scope", "transition", "from_state", "kind", "severity", "actor"]
    list_filter = ["kind", "severity", "channel", "scope"]


@admin.register(PolicyException)
class PolicyExceptionAdmin(ViewOnlyAdmin):
    list_display = ["granted_at", "transition", "check_code", "granted_by", "consumed_at"]
    list_filter = ["check_code", "transition"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Reference data: the public holidays that SLA business days skip."""

    list_display = ["date", "name"]
    search_fields = ["name"]

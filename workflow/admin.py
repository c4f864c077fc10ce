"""The admin for the engine's records: the append-only audit trail, the deviation log and policy
exceptions are shown, never added, changed or deleted here; the holiday calendar is edited here."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflow.models import AuditEvent, Deviation, Holiday, PolicyException, VerificationRun
from workflow.privacy import masked


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


class MaskedPayloads(admin.ModelAdmin):
    """Payloads and snapshots shown with their personal facts masked (workflow.privacy)."""

    exclude = ["payload", "snapshot", "changes"]
    readonly_fields = ["payload_masked", "snapshot_masked", "changes_masked"]

    @admin.display(description=_("payload"))
    def payload_masked(self, obj: Any) -> Any:
        return masked(obj.payload)

    @admin.display(description=_("snapshot"))
    def snapshot_masked(self, obj: Any) -> Any:
        return masked(getattr(obj, "snapshot", {}))

    @admin.display(description=_("changes"))
    def changes_masked(self, obj: Any) -> Any:
        return masked(getattr(obj, "changes", {}))


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnly, MaskedPayloads):
    list_display = ["created_at", "content_type", "object_id", "seq", "action", "actor", "channel"]
    list_filter = ["action", "channel", "scope"]


@admin.register(VerificationRun)
class VerificationRunAdmin(ViewOnlyAdmin):
    """When the record was verified, what was covered and the first break (verify_audit)."""

    list_display = ["finished_at", "trigger", "scope_loan", "scope_since", "chains", "breaks"]
    list_filter = ["trigger"]


@admin.register(Deviation)
class DeviationAdmin(ViewOnly, MaskedPayloads):
    exclude = ["payload"]
    readonly_fields = ["payload_masked"]
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

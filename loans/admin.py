"""The Django admin.

Process data — loans with their stage records, borrowers — is view-only here for everyone,
superusers included: it changes only through the workflow and the services, which enforce the
rules. Reference data stays editable: staff with their roles, branch and authority, branches,
products, draft policy versions and the blocked list. A change to staff, policy or the blocked list
is an audited event that compliance reads on the "Reference data changes" page.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.security_log import Event, security_event
from loans import models as m
from loans.personal_data import PersonalField, mask
from loans.reference import stored_facts
from loans.roles import Role
from loans.services import reference_change_record
from workflow.admin import ViewOnly, ViewOnlyAdmin
from workflow.models import Channel
from workflow.reference import ReferenceAction


class AuditedReferenceAdmin(admin.ModelAdmin):
    """Reference data whose every added, changed or deleted fact is an audited event.

    The facts are read as stored before the save (under the row lock) and again after the related
    objects are saved, since roles are groups saved with the form's many-to-many fields.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form.reference_before = stored_facts(obj) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        reference_change_record(
            obj=form.instance,
            action=ReferenceAction.CHANGED if change else ReferenceAction.CREATED,
            actor=request.user,  # type: ignore[arg-type]
            before=form.reference_before,
            after=stored_facts(form.instance),
            channel=Channel.ADMIN,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        reference_change_record(
            obj=obj,
            action=ReferenceAction.DELETED,
            actor=request.user,  # type: ignore[arg-type]
            before=stored_facts(obj),
            after={},
            channel=Channel.ADMIN,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The "delete selected" action: each deletion recorded, through the model's own rules."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


def role_label(group: Group) -> str:
    """A role's name in the reader's language (a group whose name is no role: its name)."""
    try:
        return str(Role(group.name).label)
    except ValueError:
        return group.name


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return role_label(obj)


class RoleListFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(role.value, role.label) for role in Role]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


# Roles are the groups a migration creates, named as loans.roles.Role: the code reads them by
# name, so a renamed or deleted group would silently take every holder's role away. They are
# shown, not edited; who holds a role is changed on the staff member (an audited change).
admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ViewOnlyAdmin):
    list_display = ["role", "holders"]
    fields = ["role", "holders"]
    readonly_fields = ["role", "holders"]

    @admin.display(description=_("role"))
    def role(self, obj: Group) -> str:
        return role_label(obj)

    @admin.display(description=_("active staff holding it"))
    def holders(self, obj: Group) -> int:
        return obj.user_set.filter(is_active=True).count()


@admin.register(m.User)
class StaffAdmin(AuditedReferenceAdmin, UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Branch and authority"), {"fields": ("branch", "authority_level")}),
    )
    list_display = ["username", "first_name", "last_name", "branch", "authority_level", "is_active"]
    list_filter = ["branch", RoleListFilter, "is_active"]
    actions = ["unlock_sign_in"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs.update(form_class=RoleChoiceField, label=_("roles"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.action(description=_("Unlock sign-in (lift a lockout after failed logins)"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[m.User]) -> None:
        from accounts.lockout import unlock

        unlocked = [user for user in queryset if unlock(user.get_username())]
        for user in unlocked:  # in the staff member's admin history
            self.log_change(request, user, "Unlocked sign-in after a lockout.")
            security_event(
                Event.UNLOCKED,
                request=request,
                target_user_id=user.pk,
                target_username=user.username,
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d staff member unlocked.",
                "%(count)d staff members unlocked.",
                len(unlocked),
            )
            % {"count": len(unlocked)},
            messages.SUCCESS,
        )


@admin.register(m.Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh_hans", "parent"]
    fields = ["code", "name", "name_zh_hans", "parent"]


def _masked(field: str) -> Any:
    """An admin column showing the personal fact ``field`` masked (loans.personal_data)."""

    @admin.display(description=PersonalField(field).label, ordering=field)
    def column(self: Any, obj: Any) -> str:
        return mask(getattr(obj, field), field)

    column.__name__ = f"masked_{field}"
    return column


@admin.register(m.Borrower)
class BorrowerAdmin(ViewOnlyAdmin):
    """Account managers create borrowers through the application, which validates the identity
    number; it is not edited behind the process. Personal facts are shown masked: the full value
    only through the loan page's audited reveal."""

    list_display = ["name", "kind", "masked_id_number", "industry", "group", "branch"]
    list_filter = ["kind", "industry", "branch"]
    search_fields = ["name", "=id_number", "group"]
    exclude = ["id_number", "phone", "address"]
    readonly_fields = ["masked_id_number", "masked_phone", "masked_address"]
    masked_id_number = _masked(PersonalField.ID_NUMBER)
    masked_phone = _masked(PersonalField.PHONE)
    masked_address = _masked(PersonalField.ADDRESS)


@admin.register(m.LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "name_zh_hans",
        "min_amount",
        "max_amount",
        "min_term_months",
        "max_term_months",
    ]


@admin.register(m.BlockedBorrower)
class BlockedBorrowerAdmin(AuditedReferenceAdmin):
    """The administrator types the full number to add an entry; lists show it masked."""

    list_display = ["masked_id_number", "name", "active", "added_by", "added_at"]
    list_filter = ["active"]
    search_fields = ["=id_number", "name"]
    masked_id_number = _masked(PersonalField.ID_NUMBER)
    readonly_fields = ["added_by", "added_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.PolicyVersion)
class PolicyVersionAdmin(AuditedReferenceAdmin):
    """Administrators add versions; one that has taken effect is history and stays as it is."""

    list_display = ["version", "effective_from", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= timezone.now():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= timezone.now():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


def _inline(model: Any, base: Any = admin.TabularInline, **options: Any) -> Any:
    attrs = {"model": model, "extra": 0, **options}
    return type(f"{model.__name__}Inline", (ViewOnly, base), attrs)


@admin.register(m.Loan)
class LoanAdmin(ViewOnlyAdmin):
    """Shown with every stage record; loans and their records change only through the workflow."""

    list_display = ["reference", "borrower", "amount", "state", "risk_class", "branch"]
    list_filter = ["state", "risk_class", "branch", "industry", "guarantee_type"]
    search_fields = ["reference", "borrower__name"]
    list_select_related = ["borrower", "branch"]
    inlines = [
        _inline(m.Interview),
        _inline(m.CreditAuthorisation),
        _inline(m.SiteVisit, admin.StackedInline),
        _inline(m.CollateralValuation),
        _inline(
            m.Guarantor,
            exclude=["id_number", "phone"],
            readonly_fields=["masked_id_number", "masked_phone"],
            masked_id_number=_masked(PersonalField.ID_NUMBER),
            masked_phone=_masked(PersonalField.PHONE),
        ),
        _inline(m.Document),
        _inline(m.CreditReport),
        _inline(m.Review, admin.StackedInline),
        _inline(m.ApprovalDecision),
        _inline(m.ApprovalCondition),
        _inline(m.Contract, admin.StackedInline),
        _inline(
            m.Drawdown,
            exclude=["counterparty_account"],
            readonly_fields=["masked_counterparty_account"],
            masked_counterparty_account=_masked(PersonalField.ACCOUNT),
        ),
        _inline(m.Inspection),
        _inline(m.Repayment),
        _inline(m.Extension),
    ]

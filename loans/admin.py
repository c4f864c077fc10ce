from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from loans.models import Borrower, Branch, Contract, Interview, Loan, LoanProduct, SiteVisit, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Branch and authority"), {"fields": ("branch", "authority_level")}),
    )
    list_display = ["username", "first_name", "last_name", "branch", "authority_level", "is_active"]
    list_filter = ["branch", "groups", "is_active"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]


@admin.register(Borrower)
class BorrowerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "id_number", "industry", "branch"]
    list_filter = ["kind", "industry", "branch"]
    search_fields = ["name", "id_number"]


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "min_amount",
        "max_amount",
        "min_term_months",
        "max_term_months",
    ]


class InterviewInline(admin.TabularInline):
    model = Interview
    extra = 0


class SiteVisitInline(admin.TabularInline):
    model = SiteVisit
    extra = 0


class ContractInline(admin.StackedInline):
    model = Contract
    extra = 0


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    """The state is read-only here: loans move only through the workflow engine."""

    list_display = ["reference", "borrower", "amount", "state", "branch", "account_manager"]
    list_filter = ["state", "branch", "industry", "guarantee_type"]
    search_fields = ["reference", "borrower__name"]
    readonly_fields = ["state", "state_entered_at", "disbursed_at", "created_at"]
    inlines = [InterviewInline, SiteVisitInline, ContractInline]

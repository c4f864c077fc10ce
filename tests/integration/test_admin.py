"""The admin: process data is view-only for everyone; reference data stays editable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from loans import models as m
from loans.roles import Role
from tests import factories
from workflow.models import AuditEvent, Deviation, PolicyException

pytestmark = pytest.mark.django_db

STAGE_RECORDS = {
    m.Interview,
    m.CreditAuthorisation,
    m.SiteVisit,
    m.CollateralValuation,
    m.Document,
    m.CreditReport,
    m.Review,
    m.ApprovalDecision,
    m.ApprovalCondition,
    m.Contract,
    m.Drawdown,
    m.Inspection,
    m.Repayment,
}
PROCESS_ADMINS = (m.Loan, m.Borrower, AuditEvent, Deviation, PolicyException)


@pytest.fixture
def superuser(db):
    return factories.staff(
        Role.ADMINISTRATOR, branch=None, username="admin", is_staff=True, is_superuser=True
    )


@pytest.fixture
def as_superuser(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def draft(db):
    return factories.PolicyVersionFactory(
        version="2027.1", effective_from=timezone.now() + timedelta(days=30)
    )


def change_url(obj: models.Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def staff_form(user: m.User, **changes: object) -> dict[str, object]:
    """The admin's change form for ``user``, as a browser would send it back, with ``changes``."""
    user.refresh_from_db()
    joined = timezone.localtime(user.date_joined)
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "branch": user.branch_id or "",
        "authority_level": user.authority_level or "",
        **changes,
    }


def policy_form(policy: m.PolicyVersion, **changes: object) -> dict[str, object]:
    """The admin's form for ``policy``, as a browser would send it back, with ``changes``."""
    data: dict[str, object] = {}
    for field in m.PolicyVersion._meta.concrete_fields:
        if field.name in {"id", "created_at", "created_by"}:
            continue
        value = field.value_from_object(policy)
        if isinstance(field, models.DateTimeField):
            local = timezone.localtime(value)
            data[f"{field.name}_0"] = local.strftime("%Y-%m-%d")
            data[f"{field.name}_1"] = local.strftime("%H:%M:%S")
        elif isinstance(field, models.JSONField):
            data[field.name] = json.dumps(value)
        else:
            data[field.name] = value
    return {**data, **changes}


def role(name: Role) -> int:
    return Group.objects.get_or_create(name=name)[0].pk


# --- process data is view-only ---------------------------------------------------------------


def test_a_superuser_cannot_change_or_delete_a_loan_in_the_admin(as_superuser, loan):
    change = as_superuser.get(change_url(loan))
    delete_url = reverse("admin:loans_loan_delete", args=[loan.pk])
    changelist = as_superuser.get(reverse("admin:loans_loan_changelist"))

    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert as_superuser.post(change_url(loan), {"amount": "1"}).status_code == 403
    assert as_superuser.get(delete_url).status_code == 403
    assert as_superuser.post(delete_url, {"post": "yes"}).status_code == 403
    assert as_superuser.get(reverse("admin:loans_loan_add")).status_code == 403
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    assert b"delete_selected" not in changelist.content
    as_superuser.post(
        reverse("admin:loans_loan_changelist"),
        {"action": "delete_selected", "_selected_action": [loan.pk], "post": "yes"},
    )
    loan.refresh_from_db()
    assert loan.amount == 80_000


def test_the_read_only_loan_list_stays_searchable_and_filterable(as_superuser, loan):
    other = factories.LoanFactory(account_manager=loan.account_manager, product=loan.product)
    url = reverse("admin:loans_loan_changelist")

    found = as_superuser.get(url, {"q": loan.reference})
    filtered = as_superuser.get(url, {"state__exact": "intake"})

    assert reverse("admin:loans_loan_add").encode() not in found.content
    assert [row.pk for row in found.context["cl"].result_list] == [loan.pk]
    assert {row.pk for row in filtered.context["cl"].result_list} == {loan.pk, other.pk}


def test_stage_records_cannot_be_edited_through_loan_inlines(as_superuser, loan):
    interview = factories.InterviewFactory(loan=loan, location="Branch office")

    response = as_superuser.get(change_url(loan))
    inlines = response.context["inline_admin_formsets"]
    refused = as_superuser.post(
        change_url(loan),
        {
            "interviews-TOTAL_FORMS": "1",
            "interviews-INITIAL_FORMS": "1",
            "interviews-0-id": interview.pk,
            "interviews-0-loan": loan.pk,
            "interviews-0-location": "Somewhere else",
        },
    )

    assert {inline.opts.model for inline in inlines} == STAGE_RECORDS
    for inline in inlines:
        assert inline.has_view_permission, inline.opts.model
        assert not inline.has_add_permission, inline.opts.model
        assert not inline.has_change_permission, inline.opts.model
        assert not inline.has_delete_permission, inline.opts.model
    assert refused.status_code == 403
    interview.refresh_from_db()
    assert interview.location == "Branch office"


def test_no_one_adds_changes_or_deletes_process_records_in_the_admin(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser

    for model in PROCESS_ADMINS:
        model_admin = admin.site._registry[model]
        assert model_admin.has_view_permission(request), model
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert "delete_selected" not in model_admin.get_actions(request), model


def test_a_borrower_is_not_edited_behind_the_process(as_superuser, loan):
    borrower = loan.borrower
    id_number = borrower.id_number

    assert as_superuser.get(change_url(borrower)).status_code == 200
    assert as_superuser.post(change_url(borrower), {"id_number": "X"}).status_code == 403
    borrower.refresh_from_db()
    assert borrower.id_number == id_number


def test_reference_data_stays_editable(as_superuser, branch, product, draft, manager):
    in_force = factories.PolicyVersionFactory(version="2026.1")
    holiday = as_superuser.post(
        reverse("admin:workflow_holiday_add"), {"date": "2026-10-01", "name": "National Day"}
    )

    for obj in (branch, product, draft, manager):
        assert b'name="_save"' in as_superuser.get(change_url(obj)).content, obj
    assert holiday.status_code == 302
    assert as_superuser.post(change_url(in_force), policy_form(in_force)).status_code == 403

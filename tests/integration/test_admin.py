"""The admin: process data is view-only for everyone; reference data stays editable, and each
change to staff, policy or the blocked list is an audited event that compliance reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans import models as m
from loans import services
from loans.roles import Role
from tests import factories
from watch.models import WatchItem
from workflow.audit import events_of, verify_chain
from workflow.models import AuditEvent, Channel, Deviation, PolicyException
from workflow.reference import ReferenceAction

pytestmark = pytest.mark.django_db

STAGE_RECORDS = {
    m.Interview,
    m.CreditAuthorisation,
    m.SiteVisit,
    m.CollateralValuation,
    m.Guarantor,
    m.Document,
    m.CreditReport,
    m.Review,
    m.ApprovalDecision,
    m.ApprovalCondition,
    m.Contract,
    m.Drawdown,
    m.Inspection,
    m.Repayment,
    m.Extension,
}
PROCESS_ADMINS = (m.Loan, m.Borrower, AuditEvent, Deviation, PolicyException, WatchItem)


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


# --- reference changes are audited events ----------------------------------------------------


def test_a_role_change_in_the_admin_is_an_audited_event_compliance_can_read(
    as_superuser, client, superuser, manager, compliance
):
    form = staff_form(manager, groups=[role(Role.ACCOUNT_MANAGER), role(Role.APPROVER)])
    assert as_superuser.post(change_url(manager), form).status_code == 302

    event = events_of(manager).get()
    client.force_login(compliance)
    page = client.get(reverse("loans:reference-changes")).content.decode()

    assert event.kind == AuditEvent.Kind.RECORDED
    assert event.action == ReferenceAction.CHANGED
    assert (event.actor, event.actor_role) == (superuser, Role.ADMINISTRATOR)
    assert (event.channel, event.scope) == (Channel.ADMIN, "B01")
    assert event.payload["changes"] == {
        "roles": [["account_manager"], ["account_manager", "approver"]]
    }
    assert event.snapshot["roles"] == ["account_manager", "approver"]
    assert verify_chain(events_of(manager)).intact
    assert "manager1" in page
    assert "roles: account manager → account manager, approver" in page


def test_an_authority_level_change_is_audited_with_before_and_after(
    as_superuser, client, junior_approver, compliance
):
    form = staff_form(junior_approver, authority_level=2)
    assert as_superuser.post(change_url(junior_approver), form).status_code == 302

    event = events_of(junior_approver).get()
    client.force_login(compliance)
    page = client.get(reverse("loans:reference-changes")).content.decode()

    assert event.payload["changes"] == {"authority_level": [1, 2]}
    assert event.snapshot["authority_level"] == 2
    assert "approval authority level: 1 → 2" in page


def test_a_blocked_list_entry_added_in_the_admin_is_audited(as_superuser, superuser):
    response = as_superuser.post(
        reverse("admin:loans_blockedborrower_add"),
        {
            "id_number": "11010519491231002X",
            "name": "Zhang San",
            "reason": "court enforcement list",
            "active": True,
        },
    )

    entry = m.BlockedBorrower.objects.get()
    event = events_of(entry).get()
    assert response.status_code == 302
    assert (event.action, event.actor, event.channel) == ("created", superuser, Channel.ADMIN)
    assert event.scope == ""
    assert event.snapshot == {
        "id_number": "11010519491231002X",
        "name": "Zhang San",
        "active": True,
        "reason": "court enforcement list",
    }


def test_a_blocked_list_entry_deleted_in_the_admin_is_audited(as_superuser, compliance):
    entry = services.blocked_borrower_add(
        id_number="11010519491231002X", name="Zhang San", reason="fraud", added_by=compliance
    )
    delete_url = reverse("admin:loans_blockedborrower_delete", args=[entry.pk])

    assert as_superuser.post(delete_url, {"post": "yes"}).status_code == 302

    assert not m.BlockedBorrower.objects.exists()
    created, deleted = events_of(entry)
    assert (created.action, created.channel) == ("created", Channel.SYSTEM)
    assert deleted.action == "deleted"
    assert deleted.payload["changes"]["reason"] == ["fraud", None]


def test_the_blocked_list_service_records_the_channel_it_is_given(compliance):
    entry = services.blocked_borrower_add(
        id_number=" 11010519491231002x ",
        name="Zhang San",
        reason="fraud",
        added_by=compliance,
        channel=Channel.WEB,
    )

    event = events_of(entry).get()
    assert (event.action, event.actor, event.channel) == ("created", compliance, Channel.WEB)
    assert event.snapshot["id_number"] == "11010519491231002X"


def test_a_draft_policy_version_change_is_audited(as_superuser, superuser, draft):
    factories.PolicyVersionFactory(version="2026.1")
    form = policy_form(draft, authority_tier_1="80000.00")
    assert as_superuser.post(change_url(draft), form).status_code == 302

    event = events_of(draft).get()
    assert (event.action, event.actor, event.channel) == ("changed", superuser, Channel.ADMIN)
    assert event.payload["changes"] == {"authority_tier_1": ["100000.00", "80000.00"]}
    assert event.policy_version == "2026.1"
    assert event.snapshot["version"] == "2027.1"


def test_a_draft_policy_version_added_and_deleted_in_the_admin_is_audited(as_superuser, draft):
    added = as_superuser.post(
        reverse("admin:loans_policyversion_add"), policy_form(draft, version="2027.2")
    )
    version = m.PolicyVersion.objects.get(version="2027.2")
    delete_url = reverse("admin:loans_policyversion_delete", args=[version.pk])
    deleted = as_superuser.post(delete_url, {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert [event.action for event in events_of(version)] == ["created", "deleted"]


def test_an_unchanged_save_records_nothing(as_superuser, manager, draft, compliance):
    entry = services.blocked_borrower_add(
        id_number="11010519491231002X", name="Zhang San", reason="fraud", added_by=compliance
    )
    before = AuditEvent.objects.count()

    responses = [
        as_superuser.post(change_url(manager), staff_form(manager)),
        as_superuser.post(change_url(draft), policy_form(draft)),
        as_superuser.post(
            change_url(entry),
            {"id_number": entry.id_number, "name": entry.name, "reason": "fraud", "active": True},
        ),
    ]

    assert [response.status_code for response in responses] == [302, 302, 302]
    assert AuditEvent.objects.count() == before
    as_superuser.post(change_url(manager), staff_form(manager, is_active=False))
    assert events_of(manager).get().payload["changes"] == {"is_active": [True, False]}


# --- compliance reads the changes ------------------------------------------------------------


def test_the_reference_changes_page_refuses_staff_without_the_role(client, manager):
    client.force_login(manager)

    assert client.get(reverse("loans:reference-changes")).status_code == 403
    assert (
        reverse("loans:reference-changes") not in client.get(reverse("loans:list")).content.decode()
    )


def test_compliance_reads_bank_wide_changes_and_its_own_branch_in_local_time(
    client, superuser, compliance, manager, outsider
):
    with time_machine.travel(datetime(2025, 3, 2, 1, 30, tzinfo=UTC), tick=False):
        services.blocked_borrower_add(
            id_number="11010519491231002X", name="Zhang San", reason="fraud", added_by=compliance
        )
    for user in (manager, outsider):
        services.reference_change_record(
            obj=user,
            action=ReferenceAction.CHANGED,
            actor=superuser,
            before={"branch": user.branch.code, "is_active": True},
            after={"branch": user.branch.code, "is_active": False},
            channel=Channel.ADMIN,
        )
    client.force_login(compliance)

    response = client.get(reverse("loans:reference-changes"))
    page = response.content.decode()

    assert response.status_code == 200
    assert [row.name for row in response.context["rows"]] == [
        "manager1",
        "Zhang San (1101**********002X)",  # the identity number masked, as everywhere
    ]
    assert "2025-03-02 09:30" in page
    assert "active: yes → no" in page
    assert reverse("loans:reference-changes") in page  # the navigation offers it


def test_a_branch_head_reads_the_changes_of_the_branch_and_its_sub_offices(
    client, superuser, head, branch, other_branch, outsider
):
    other_branch.parent = branch
    other_branch.save()
    services.reference_change_record(
        obj=outsider,
        action=ReferenceAction.CHANGED,
        actor=superuser,
        before={"branch": "B02", "authority_level": None},
        after={"branch": "B02", "authority_level": 1},
        channel=Channel.ADMIN,
    )
    client.force_login(head)

    response = client.get(reverse("loans:reference-changes"))

    assert [row.name for row in response.context["rows"]] == ["manager9"]


def test_the_reference_changes_page_keeps_a_constant_number_of_queries(
    client, superuser, compliance, branch, django_assert_num_queries
):
    def change_reference_data(count: int) -> None:
        for _ in range(count):
            staff = factories.staff(Role.ACCOUNT_MANAGER, branch=branch)
            services.reference_change_record(
                obj=staff,
                action=ReferenceAction.CHANGED,
                actor=superuser,
                before={"branch": "B01", "roles": []},
                after={"branch": "B01", "roles": [Role.ACCOUNT_MANAGER]},
                channel=Channel.ADMIN,
            )
            services.blocked_borrower_add(
                id_number=factories.valid_resident_id(),
                name="Blocked",
                reason="fraud",
                added_by=staff,
            )

    change_reference_data(1)
    client.force_login(compliance)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("loans:reference-changes"))
    change_reference_data(6)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("loans:reference-changes"))
    assert len(response.context["rows"]) == 14


def test_the_reference_changes_page_shows_fifty_a_page(client, compliance):
    for _ in range(51):
        services.blocked_borrower_add(
            id_number=factories.valid_resident_id(), name="Blocked", reason="x", added_by=compliance
        )
    client.force_login(compliance)

    first = client.get(reverse("loans:reference-changes"))
    second = client.get(reverse("loans:reference-changes") + first.context["page"].next_url)

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1
    assert second.context["page"].next_url is None


# --- roles are groups the code reads by name ---------------------------------------------------


def test_roles_are_shown_by_name_and_never_renamed_added_or_deleted(as_superuser, manager):
    group = Group.objects.get(name=Role.APPROVER)
    change = reverse("admin:auth_group_change", args=[group.pk])
    delete = reverse("admin:auth_group_delete", args=[group.pk])

    listing = as_superuser.get(reverse("admin:auth_group_changelist"))

    assert listing.status_code == 200
    assert "approver" in listing.content.decode()
    assert "disbursement officer" in listing.content.decode()  # its name, not its code
    assert as_superuser.post(change, {"name": "approvers"}).status_code == 403
    assert as_superuser.post(delete, {"post": "yes"}).status_code == 403
    assert as_superuser.get(reverse("admin:auth_group_add")).status_code == 403
    assert Group.objects.get(pk=group.pk).name == Role.APPROVER


def test_the_staff_form_and_filter_name_roles_in_the_readers_language(as_superuser, manager):
    as_superuser.cookies["django_language"] = "zh-hans"

    form = as_superuser.get(change_url(manager)).content.decode()
    listing = as_superuser.get(
        reverse("admin:loans_user_changelist"), {"role": Role.ACCOUNT_MANAGER}
    )

    assert "客户经理" in form  # the roles by name
    assert "disbursement_officer</option>" not in form
    assert listing.status_code == 200
    assert [user.pk for user in listing.context["cl"].result_list] == [manager.pk]
    assert "客户经理" in listing.content.decode()

"""The demo data: loaded through the workflow engine, into every stage, and only once.

Loading the demo walks 60 loans through the engine, so this module loads it once, with
``manage.py load_demo``, inside Django's class-level test transaction (rolled back after the
module); each test runs in its own savepoint within it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from loans.demo import DEMO_PASSWORD
from loans.models import Borrower, Branch, Loan, LoanProduct, User
from loans.states import LoanState
from recovery.models import CollectionCase
from tests.i18n_check import codes_shown, untranslated_msgids
from watch.models import WatchItem
from workflow.audit import events_of, verify_chain
from workflow.models import AuditEvent, Deviation

pytestmark = pytest.mark.django_db

# username: (role, branch code, approval authority level)
EXPECTED_STAFF = {
    "manager1": ("account_manager", "B01", None),
    "manager2": ("account_manager", "B01", None),
    "reviewer1": ("reviewer", "B01", None),
    "approver1": ("approver", "B01", 1),
    "approver3": ("approver", "B01", 3),
    "officer1": ("disbursement_officer", "B01", None),
    "compliance1": ("compliance_officer", "B01", None),
    "head1": ("branch_head", "B01", None),
    "manager9": ("account_manager", "B02", None),
    "admin": ("administrator", None, None),
}


class _DemoLoaded(TestCase):
    """Not a test: Django's class-level transaction around the demo, for the fixture below."""

    __test__ = False
    output = ""

    @classmethod
    def setUpTestData(cls) -> None:
        out = StringIO()
        call_command("load_demo", stdout=out)
        cls.output = out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """What ``load_demo`` printed; the demo stays loaded for the whole module."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        _DemoLoaded.setUpClass()
    yield _DemoLoaded.output
    with django_db_blocker.unblock():
        _DemoLoaded.tearDownClass()


def _counts() -> dict[str, int]:
    models = (Branch, User, LoanProduct, Borrower, Loan, AuditEvent, Deviation)
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_puts_about_sixty_loans_in_every_state():
    states = Counter(Loan.objects.values_list("state", flat=True))

    assert 50 <= sum(states.values()) <= 80
    assert [state for state in LoanState if states[state] == 0] == []


def test_the_sub_office_loans_stay_before_review():
    b02_states = set(Loan.objects.filter(branch__code="B02").values_list("state", flat=True))

    assert b02_states
    assert b02_states <= {LoanState.INTAKE, LoanState.SITE_VISIT}
    assert Branch.objects.get(code="B02").parent == Branch.objects.get(code="B01")


def test_the_demo_staff_have_their_roles_branches_and_authority():
    for username, (role, branch_code, level) in EXPECTED_STAFF.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role], username
        assert (user.branch.code if user.branch else None) == branch_code, username
        assert user.authority_level == level, username
        assert user.is_staff == (username == "admin"), username
        assert user.get_full_name(), username


def test_every_demo_user_logs_in_with_the_shared_password():
    users = User.objects.filter(username__in=EXPECTED_STAFF)

    assert len(users) == len(EXPECTED_STAFF)
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    assert DEMO_PASSWORD == "loanflow-demo"


def test_the_command_prints_the_loans_per_state_and_the_users_with_their_password(demo_output):
    assert f"Loans: {Loan.objects.count()} (intake " in demo_output
    assert f"Deviations recorded: {Deviation.objects.count()}" in demo_output
    assert "Demo users (password: loanflow-demo): manager1, manager2, reviewer1" in demo_output


def test_the_demo_records_refused_attempts_of_several_kinds_as_deviations():
    kinds = Counter(Deviation.objects.values_list("kind", flat=True))

    assert kinds.total() >= 5
    assert set(kinds) >= {"wrong_state", "wrong_role", "wrong_person", "checks_failed"}


def test_demo_borrowers_have_valid_identity_numbers_and_loans_fit_their_products():
    assert all(borrower.identity_is_valid for borrower in Borrower.objects.all())
    assert {"individual", "enterprise"} <= set(Borrower.objects.values_list("kind", flat=True))
    for loan in Loan.objects.select_related("product").exclude(term_months=None):
        assert loan.product.amount_in_range(loan.amount), loan
        assert loan.product.term_in_range(loan.term_months), loan


def test_some_demo_loans_were_returned_for_revision_with_a_reason():
    returned = AuditEvent.objects.filter(action__startswith="return_")

    assert returned.count() >= 3
    assert all(event.payload.get("reason") for event in returned)


def test_the_audit_chain_of_every_demo_loan_verifies():
    for loan in Loan.objects.all():
        assert verify_chain(events_of(loan)).intact, loan


def test_loading_the_demo_again_changes_nothing():
    before = _counts()
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert _counts() == before
    assert "nothing changed" in out.getvalue()


def test_the_demo_scheduler_finds_late_work_at_once():
    """Within the first sweep of make demo: reminders, overdue deviations and escalations."""
    from django.contrib.contenttypes.models import ContentType

    from workflow import timers
    from workflow.models import Deviation, Notification

    timers.sweep()

    late = Deviation.objects.filter(kind="sla_overdue")
    assert late.filter(content_type=ContentType.objects.get_for_model(Loan)).count() == 5
    # and the two watch-list items the demo left past their SLA
    assert late.filter(content_type=ContentType.objects.get_for_model(WatchItem)).count() == 2
    # the loans the demo downgraded are inspected monthly since, and those months have passed
    assert Deviation.objects.filter(kind="inspection_overdue").count() == 3
    escalated = Notification.objects.filter(kind="escalation", recipient__username="head1")
    assert escalated.count() == 8 + 2  # the loans' and the watch-list items'
    assert not any("days_past_due" in n.subject + n.body for n in escalated)  # a signal in words
    assert Notification.objects.filter(kind="reminder").exists()


def test_each_demo_loan_keeps_its_running_stage_timers_due_date():
    """The queue's order and the navigation's overdue counts read the loan's own copy of its
    stage timer's due date: the demo's late loans are overdue there too."""
    from django.contrib.contenttypes.models import ContentType

    from loans.inbox import inbox_counts
    from workflow.models import Timer

    running = Timer.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan),
        kind=Timer.Kind.STAGE,
        stopped_at__isnull=True,
    )
    due = dict(running.values_list("object_id", "due_at"))
    kept = dict(Loan.objects.filter(pk__in=due).values_list("pk", "stage_due_at"))
    assert due
    assert kept == due
    late = Loan.objects.get(pk=min(pk for pk, at in due.items() if at < timezone.now()))
    deciders = User.objects.filter(branch=late.branch, is_active=True)
    assert any(inbox_counts(user, timezone.now()).waiting_overdue for user in deciders) or (
        inbox_counts(late.account_manager, timezone.now()).mine_overdue
    )


def test_the_demo_shows_a_policy_version_an_exception_and_classifications():
    from loans.models import PolicyVersion
    from workflow.models import AuditEvent, ExceptionRequest, PolicyException

    assert PolicyVersion.objects.get().version == "2026.1"
    assert set(AuditEvent.objects.values_list("policy_version", flat=True)) == {"2026.1"}
    grant = PolicyException.objects.get()
    assert (grant.check_code, grant.granted_by.username) == ("evidence_collected", "head1")
    assert grant.consumed_at is not None
    (waiting,) = ExceptionRequest.objects.filter(status="pending")  # for head1 to decide
    assert Loan.objects.get(pk=waiting.object_id).state == LoanState.SITE_VISIT
    assert Loan.objects.filter(risk_class__gte=2).count() >= 2
    assert AuditEvent.objects.filter(action="classification_floor_apply").count() >= 2


def test_disbursed_demo_loans_have_schedules_and_arrears_come_from_them():
    from django.utils import timezone

    from loans.models import RepaymentSchedule
    from loans.services.servicing import loan_days_past_due

    disbursed = Loan.objects.filter(state__in=[LoanState.POST_LOAN, LoanState.CLOSED])
    assert disbursed.exists()
    assert not disbursed.filter(schedules__isnull=True).exists()
    today = timezone.localdate()
    in_arrears = [loan for loan in disbursed if loan.days_past_due > 0]
    assert sorted(loan.days_past_due for loan in in_arrears) == [12, 95]
    assert all(loan_days_past_due(loan, today) == loan.days_past_due for loan in disbursed)
    # the loan repaid early in part carries a second version with instalments still to pay
    remade = RepaymentSchedule.objects.filter(
        version=2, reason="early_repayment", loan__state=LoanState.POST_LOAN
    )
    assert remade.filter(instalments__principal_paid=0).exists()


def test_the_demo_shows_a_closed_loan_renewed_by_an_application_in_intake():
    (renewal,) = Loan.objects.filter(renewal_of__isnull=False)

    assert renewal.state == LoanState.INTAKE
    assert renewal.renewal_of.state == LoanState.CLOSED
    assert renewal.borrower_id == renewal.renewal_of.borrower_id


def test_the_demo_has_a_loan_in_arrears_with_a_collection_case():
    from recovery.states import CaseState

    (case,) = CollectionCase.objects.all()
    assert case.loan.days_past_due > 90
    assert case.state == CaseState.CONTACTED
    assert case.contact_attempts.filter(reached=True).exists()
    assert events_of(case)[0].action == "case_opened"
    assert verify_chain(events_of(case)).intact


def test_the_demo_leaves_open_watch_list_items_some_overdue_and_one_resolved():
    from django.utils import timezone

    from watch.models import WatchItem
    from watch.states import ItemState

    open_items = WatchItem.objects.filter(state=ItemState.OPEN)
    assert open_items.count() >= 4
    assert open_items.filter(due_at__lt=timezone.now()).count() == 2
    assert {i.account_manager.username for i in open_items} == {"manager1", "manager2"}
    resolved = WatchItem.objects.get(state=ItemState.RESOLVED)
    assert resolved.notes.get().resolves
    for item in WatchItem.objects.all():
        assert verify_chain(events_of(item)).intact


# --- every page in Chinese ----------------------------------------------------------------------


def _pages_of(user: User) -> list[str]:
    """The pages a user of this role opens in a day's work, on the demo's loans."""
    pages = [reverse("home"), reverse("loans:list"), reverse("workflow:inbox")]
    pages += [reverse("loans:search") + "?q=LF-2026", reverse("recovery:list")]
    case = CollectionCase.objects.filter(loan__branch_id__in=user.visible_branch_ids).first()
    if case is not None:
        pages.append(reverse("recovery:detail", args=[case.pk]))
    roles = user.roles
    if "account_manager" in roles:
        pages += [reverse("loans:mine"), reverse("loans:application-add")]
    if roles & {"reviewer", "approver", "disbursement_officer"}:
        pages.append(reverse("loans:queue"))
    if roles & {"compliance_officer", "branch_head"}:
        pages += [reverse("loans:deviations"), reverse("loans:reference-changes")]
        deviation = Deviation.objects.filter(scope=user.branch.code).first()
        pages.append(reverse("loans:deviation", args=[deviation.pk]))
    if "branch_head" in roles:
        pages.append(reverse("loans:overview"))
    if roles & {"compliance_officer", "branch_head"}:
        pages.append(reverse("insight:portfolio"))
    if roles & {"account_manager", "branch_head"}:
        pages.append(reverse("insight:scorecard"))
    if "disbursement_officer" in roles:
        pages.append(reverse("loans:feed-upload"))
    if roles & {"account_manager", "compliance_officer", "branch_head"}:
        pages.append(reverse("watch:list"))
        item = WatchItem.objects.filter(branch_id__in=user.visible_branch_ids).first()
        if item is not None and ("account_manager" not in roles or item.account_manager == user):
            pages.append(reverse("watch:detail", args=[item.pk]))
    visible = Loan.objects.filter(branch_id__in=user.visible_branch_ids)
    for state in LoanState:
        loan = visible.filter(state=state).order_by("pk").first()
        if loan is not None:
            pages.append(reverse("loans:detail", args=[loan.pk]))
    repaying = visible.filter(state=LoanState.POST_LOAN).order_by("pk").first()
    if repaying is not None:
        pages += [
            reverse("loans:approval_memo", args=[repaying.pk]),
            reverse("loans:loan_summary", args=[repaying.pk]),
        ]
    return pages


@pytest.mark.parametrize(
    "username", ["manager1", "reviewer1", "approver3", "officer1", "compliance1", "head1"]
)
def test_every_page_reads_in_chinese_without_a_code(client, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    untranslated: dict[str, set[str]] = {}
    codes: dict[str, set[str]] = {}

    for page in _pages_of(user):
        with untranslated_msgids() as missing:
            response = client.get(page, follow=True)
        assert response.status_code == 200, page
        untranslated.update({page: missing} if missing else {})
        shown = codes_shown(response.content.decode())
        codes.update({page: shown} if shown else {})

    assert untranslated == {}
    assert codes == {}


def test_the_demo_shows_a_loan_extended_with_a_new_schedule_version():
    (loan,) = Loan.objects.filter(extension_months__gt=0)

    assert loan.state == LoanState.POST_LOAN
    extension = loan.extensions.get()
    assert (extension.status, extension.schedule.version, extension.schedule.reason) == (
        "approved",
        2,
        "extension",
    )
    assert [e.action for e in events_of(loan) if e.action.startswith("extension_")] == [
        "extension_request",
        "extension_review",
        "extension_approve",
    ]


def test_no_demo_loan_is_paid_before_it_was_applied_for():
    """The demo moves some loans' payment back in time; their application moves with it, or the
    scorecard would show a negative cycle time."""
    from django.db.models import F

    assert Loan.objects.filter(disbursed_at__isnull=False).exists()
    assert not Loan.objects.filter(disbursed_at__lt=F("created_at")).exists()


def test_the_demo_shows_a_guarantor_behind_many_loans_and_a_guarantee_circle():
    from watch.models import WatchItem

    busy = WatchItem.objects.filter(signal="guarantor_many_loans")
    circle = WatchItem.objects.filter(signal="guarantee_circle")
    assert busy.count() == 4
    assert {item.loan.state for item in busy} == {LoanState.POST_LOAN}
    assert {item.facts["guarantor"] for item in busy} == {"周建国"}
    assert circle.count() == 2
    pair = {loan.borrower_id for loan in Loan.objects.filter(watch_items__in=circle)}
    guarantors = {g.id_number for item in circle for g in item.loan.guarantors.all()}
    assert guarantors == set(
        Borrower.objects.filter(pk__in=pair).values_list("id_number", flat=True)
    )

"""The engine saves a step's changed fields as ``save(update_fields=...)`` would, django-fsm's
concurrent-transition guard included, with the UPDATE built once (workflow/writes.py)."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_save, pre_save
from django_fsm import ConcurrentTransition

from loans.journeys import prepare_to_leave
from loans.models import Loan
from loans.states import LoanState
from tests import factories
from workflow.engine import perform_transition, save_changes, saved_values
from workflow.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy_in_force(db):
    factories.PolicyVersionFactory()


@pytest.fixture
def ready(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    return prepare_to_leave(loan, cast)


def test_a_step_saves_its_changed_fields_with_the_signals_save_sends(ready, cast):
    heard = []

    def before(sender, instance, update_fields, **kwargs):
        heard.append(("pre_save", instance.pk, update_fields, instance.state))

    def after(sender, instance, created, update_fields, **kwargs):
        heard.append(("post_save", instance.pk, update_fields, created))

    pre_save.connect(before, sender=Loan)
    post_save.connect(after, sender=Loan)
    try:
        done = perform_transition(
            ready, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM
        )
    finally:
        pre_save.disconnect(before, sender=Loan)
        post_save.disconnect(after, sender=Loan)

    changed = frozenset({"state", "state_entered_at", "stage_due_at"})
    assert heard == [
        ("pre_save", ready.pk, changed, LoanState.SITE_VISIT),
        ("post_save", ready.pk, changed, False),
    ]
    stored = Loan.objects.get(pk=ready.pk)
    assert stored.state == LoanState.SITE_VISIT
    assert stored.state_entered_at == done.state_entered_at
    assert stored.stage_due_at == done.stage_due_at


def test_a_state_changed_since_the_read_is_a_concurrent_transition(ready):
    loan = Loan.objects.get(pk=ready.pk)
    before = saved_values(loan)
    Loan.objects.filter(pk=loan.pk).update(state=LoanState.REVIEW)  # behind the object's back
    loan.purpose = "Another purpose"

    with pytest.raises(ConcurrentTransition):
        save_changes(loan, before)

    assert Loan.objects.get(pk=loan.pk).purpose != "Another purpose"


def test_after_a_save_the_state_saved_is_the_one_the_next_save_expects(ready):
    loan = Loan.objects.get(pk=ready.pk)
    before = saved_values(loan)
    loan.purpose = "First change"
    save_changes(loan, before)

    again = saved_values(loan)
    loan.purpose = "Second change"
    save_changes(loan, again)

    assert Loan.objects.get(pk=loan.pk).purpose == "Second change"


def test_a_model_with_a_save_of_its_own_is_saved_through_it(ready, monkeypatch):
    calls = []
    plain = Loan.save

    def own_save(self, *args, **kwargs):
        calls.append(kwargs.get("update_fields"))
        plain(self, *args, **kwargs)

    monkeypatch.setattr(Loan, "save", own_save)
    loan = Loan.objects.get(pk=ready.pk)
    before = saved_values(loan)
    loan.purpose = "Through its own save"

    save_changes(loan, before)

    assert calls == [["purpose"]]
    assert Loan.objects.get(pk=loan.pk).purpose == "Through its own save"

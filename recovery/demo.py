"""Demo data for collections: the loan in arrears opens its case, and its account manager has
reached the borrower. Every write goes through the opener and the engine, as in production."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from recovery.models import CollectionCase
from recovery.services import collection_cases_open
from recovery.states import ContactChannel
from workflow.actions import perform_action
from workflow.engine import perform_transition
from workflow.models import Channel


def collection_case_in_arrears() -> list[CollectionCase]:
    """Open the cases the demo's arrears call for (the daily opener), and work the first one to
    contacted: a call that did not reach the borrower, then a visit that did."""
    opened = collection_cases_open()
    for case in opened[:1]:
        manager = case.account_manager
        now = timezone.now()
        for hours, channel, reached, notes in (
            (26, ContactChannel.PHONE, False, "No answer; left a message with the shop assistant."),
            (
                3,
                ContactChannel.VISIT,
                True,
                "Met the borrower at the shop: sales fell after the road works.",
            ),
        ):
            perform_action(
                case,
                "contact_log",
                actor=manager,
                data={
                    "contacted_at": max(now - timedelta(hours=hours), case.opened_at),
                    "channel": channel,
                    "reached": reached,
                    "notes": notes,
                },
                channel=Channel.WEB,
            )
        perform_transition(case, "mark_contacted", actor=manager, channel=Channel.WEB)
    return opened

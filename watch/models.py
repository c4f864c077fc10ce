"""Watch-list items (预警关注清单) and their action notes.

An item is opened by an early-warning signal (watch/rules.py) for one loan, owned by the loan's
account manager; its state machine is declared in watch/workflow.py, and every write to it goes
through the engine (its transition and actions), never through ``save()`` elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from watch.states import ItemState, Severity
from watch.workflow import WatchWorkflow


class WatchItem(WatchWorkflow):
    # The signal (watch/rules.py) and the occurrence it found: one item per occurrence, ever.
    signal = models.CharField(_("signal"), max_length=32)
    occurrence = models.CharField(_("occurrence"), max_length=160, unique=True)
    # While an item of an episode is open, the signal opens no other (watch/rules.py).
    episode = models.CharField(_("episode"), max_length=160, db_index=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    facts = models.JSONField(_("what the signal found"), default=dict)
    loan = models.ForeignKey(
        "loans.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="watch_items"
    )
    # The loan's branch and account manager when the item opened: its scope and its owner.
    branch = models.ForeignKey(
        "loans.Branch",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="watch_items",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="watch_items",
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due"))
    state_entered_at = models.DateTimeField(_("in this state since"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("watch-list item")
        verbose_name_plural = _("watch-list items")
        ordering = ["due_at", "id"]
        indexes = [
            # A manager's own open items by due date, and the branch's (the lists and the counts).
            models.Index(fields=["account_manager", "state", "due_at"], name="watch_mine"),
            models.Index(fields=["branch", "state", "due_at"], name="watch_branch"),
        ]

    def __str__(self) -> str:
        from watch.rules import signal_title  # the signal in words, never its code

        return f"{self.loan} · {signal_title(self.signal)}"

    @property
    def is_open(self) -> bool:
        return bool(self.state == ItemState.OPEN)


class WatchNote(models.Model):
    """An action note on an item: what was done about the warning (the last one resolves it)."""

    item = models.ForeignKey(
        WatchItem, verbose_name=_("watch-list item"), on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("note"))
    resolves = models.BooleanField(_("resolves the item"), default=False)
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("action note")
        verbose_name_plural = _("action notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]

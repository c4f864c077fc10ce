from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    """Early warning (风险预警): signals declared in watch/rules.py open watch-list items, a third
    process on the engine (watch/workflow.py)."""

    name = "watch"
    verbose_name = _("Early warning")

    def ready(self) -> None:
        from loans.models import Loan
        from watch import tasks  # noqa: F401 - the outbox's follow-ups name them
        from watch.models import WatchItem
        from watch.rules import TRIGGERING_STEPS
        from watch.workflow import WatchProcess
        from workflow import followups
        from workflow.registry import register

        register(WatchProcess(WatchItem))
        # The loan's steps that can raise a signal: evaluated after them, through the outbox.
        followups.register(Loan, TRIGGERING_STEPS, "watch.tasks.evaluate_after_step")
        # The sweep's escalation of an item's SLA joins the item's audit chain.
        followups.register(WatchItem, [followups.ESCALATED], "watch.tasks.record_escalation")

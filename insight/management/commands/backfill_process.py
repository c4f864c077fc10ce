"""``manage.py backfill_process``: rebuild process analytics from the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from insight.process_aggregate import process_aggregate
from insight.process_record import visits_backfill


class Command(BaseCommand):
    help = (
        "Rebuild every loan's stage visits from its audit trail and stopped stage timers (the same "
        "rows the hourly task writes), then recompute every weekly table of process analytics and "
        "count the loans waiting and stalled now."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        visits = visits_backfill()
        rows = process_aggregate()
        self.stdout.write(f"Process analytics: {visits} stage visits, {rows} rows of figures.")

"""``manage.py load_portfolio_history``: a year of loans and snapshots for the demo's trends."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from insight.demo import load_portfolio_history
from insight.demo_process import load_process_history


class Command(BaseCommand):
    help = (
        "After load_demo: take some two dozen loans through the last year (disbursed, repaid, "
        "inspected, a few in arrears) and backfill the daily portfolio snapshots from their audit "
        "trails; then a year of applications, returns, refusals and a stalled loan for process "
        "analytics. Each part changes nothing when its history exists already."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = load_portfolio_history()
        self.stdout.write(f"Portfolio history: {written} snapshot rows written.")
        visits = load_process_history()
        self.stdout.write(f"Process history: {visits} stage visits.")

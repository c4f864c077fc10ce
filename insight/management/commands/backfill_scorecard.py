"""``manage.py backfill_scorecard``: measure the account managers' months from the records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from insight.scorecard_measure import scorecard_backfill


class Command(BaseCommand):
    help = (
        "Measure each account manager's scorecard figures of every month from --since to "
        "--until (default: the last twelve months), each book at its month's end from the audit "
        "trail. Running it again over the same records changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        until = options["until"] or timezone.localdate()
        since = options["since"] or until - timedelta(days=365)
        written = scorecard_backfill(since=since, until=until)
        self.stdout.write(f"Scorecard: {written} manager-months measured.")

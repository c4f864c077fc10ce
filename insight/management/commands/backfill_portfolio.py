"""Rebuild the daily portfolio snapshots from the loans' audit events."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from insight.snapshots import first_event_day, snapshot_backfill


class Command(BaseCommand):
    help = (
        "Reconstruct each office's portfolio snapshot of each day from the audit trail "
        "(an upsert: days already written are left as they are when the loans agree)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
        parser.add_argument("--until", type=date.fromisoformat, help="last day (default today)")
        parser.add_argument(
            "--days", type=int, help="only the last N days (instead of --since)", default=None
        )

    def handle(
        self, *args: Any, since: date | None, until: date | None, days: int | None, **options: Any
    ) -> None:
        until = until or timezone.localdate()
        if days is not None:
            since = until - timedelta(days=days - 1)
        since = since or first_event_day()
        if since is None:
            self.stdout.write("No loan has an audit event yet: nothing to backfill.")
            return
        if since > until:
            raise CommandError("--since is after --until.")
        written = snapshot_backfill(since=since, until=until)
        self.stdout.write(f"Portfolio snapshots written: {written} ({since} to {until}).")

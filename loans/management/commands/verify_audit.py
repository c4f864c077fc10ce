"""Verify the record: every audit trail, deviation log and review chain, link by link, and each
chain's head against its seal (docs/security.md). Exits non-zero on a break, naming the first."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from loans.models import Loan
from workflow.models import VerificationRun
from workflow.verification import verify_and_record


class Command(BaseCommand):
    help = "Verify the audit trail, the deviations and their reviews; exit 1 on a break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loan", metavar="REF", help="only this loan's chains")
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="only chains written to on or after this day"
        )

    def handle(self, *args: Any, loan: str | None, since: str | None, **options: Any) -> None:
        objects = None
        if loan:
            found = Loan.objects.filter(reference=loan).first()
            if found is None:
                raise CommandError(f"No loan has the reference {loan!r}.")
            objects = (found,)
        start = None
        if since:
            try:
                day = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r} is not a date (YYYY-MM-DD).") from None
            start = timezone.make_aware(datetime.combine(day, time.min))
        run = verify_and_record(
            trigger=VerificationRun.Trigger.COMMAND,
            objects=objects,
            scope_label=loan or "",
            since=start,
        )
        summary = f"{run.chains} chains, {run.entries} entries verified"
        if not run.intact:
            raise CommandError(
                f"{summary}: {run.breaks} broken. First break: {run.describe_break()}",
                returncode=1,
            )
        self.stdout.write(f"{summary}: intact.")

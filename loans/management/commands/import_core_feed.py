"""Import a core-banking file of repayments and days past due (docs/servicing.md, "The
core-banking feed and classification"): all or nothing, once, every write through the engine.
Exits 1 when the file is refused, listing each refused row in every language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loans.feed import FeedConflict, feed_import
from loans.models import User
from loans.roles import Role
from workflow.models import Channel


class Command(BaseCommand):
    help = "Import a core-banking CSV of repayments and days past due as a disbursement officer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8)")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            metavar="USERNAME",
            help="the disbursement officer importing it (their branch's loans only)",
        )

    def handle(self, *args: Any, file: Path, username: str, **options: Any) -> None:
        officer = User.objects.filter(username=username, is_active=True).first()
        if officer is None or Role.DISBURSEMENT_OFFICER not in officer.roles:
            raise CommandError(f"{username!r} is not an active disbursement officer.")
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            result = feed_import(
                content=content, file_name=file.name, actor=officer, channel=Channel.SYSTEM
            )
        except FeedConflict:
            raise CommandError("Another import wrote the same rows just now: run again.") from None
        done = result.feed_import
        if result.repeated:
            self.stdout.write(f"Import #{done.pk}: this file was imported before; nothing changed.")
            return
        if not result.imported:
            for item in done.rejections:
                reasons = " | ".join(item["reason"].values())
                self.stderr.write(f"row {item['row']} {item['column'] or '-'}: {reasons}")
            raise CommandError(
                f"Import #{done.pk} refused: {len(done.rejections)} rows; nothing imported.",
                returncode=1,
            )
        self.stdout.write(
            f"Import #{done.pk}: {done.repayments} repayments, days past due for "
            f"{done.days_past_due} loans, {done.already_imported} rows imported before."
        )

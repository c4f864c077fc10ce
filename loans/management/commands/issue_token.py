"""Issue an API token for a member of staff and print it (``--rotate``: revoke the others)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import RevokedBecause
from accounts.tokens import token_issue, tokens_revoke_all
from loans.models import User


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it (shown only now: only a digest is kept). "
        "The token expires after --days (default API_TOKEN_LIFETIME_DAYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="issued by issue_token", help="What it is for.")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires.")
        parser.add_argument(
            "--rotate", action="store_true", help="Revoke the user's other tokens first."
        )

    def handle(
        self, *args: Any, username: str, name: str, days: int | None, rotate: bool, **options: Any
    ) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        if rotate:
            tokens_revoke_all(user=user, because=RevokedBecause.ROTATED)
        issued = token_issue(user=user, name=name, lifetime_days=days)
        self.stdout.write(issued.key)

"""``manage.py load_demo``: demo branches, staff, products and loans in every stage (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loans.demo import DEMO_SEED, DemoDataError, load_demo_data


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database: two branches, their staff, loan products and "
        "about 60 loans in every stage, with deviations. Safe to run again: changes nothing then."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help="seed of the random demo data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo_data(stdout=self.stdout, seed=options["seed"])
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        if summary is not None:
            for line in summary.lines():
                self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))

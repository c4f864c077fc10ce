"""Run the timer sweep and the outbox relay in a loop, and verify the audit trail and run the
processes' daily tasks (``settings.DAILY_TASKS``, dotted paths of idempotent task functions) daily
and their periodic ones (``settings.SCHEDULER_PERIODIC_TASKS``) at their intervals: the in-process
stand-in for Celery beat and a worker, for running without Redis (the demo)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from workflow import outbox, tasks, timers

DAY_SECONDS = 24 * 60 * 60


class Command(BaseCommand):
    help = "Sweep due timers and relay the outbox every few seconds (no broker needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=settings.SCHEDULER_INTERVAL_SECONDS)
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one round of the sweep and the relay, and stop (no audit verification).",
        )

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        next_verification = time.monotonic()  # at start, then daily, as beat's schedule does
        periodic = {path: time.monotonic() for path in settings.SCHEDULER_PERIODIC_TASKS}
        while True:
            handled = timers.sweep()
            sent = outbox.relay()
            if handled or sent:
                self.stdout.write(f"timers handled: {handled}, messages relayed: {sent}")
            if once:
                return
            if time.monotonic() >= next_verification:
                intact = tasks.verify_audit()
                self.stdout.write(f"audit trail verified: {'intact' if intact else 'BROKEN'}")
                self.run_daily_tasks()
                next_verification = time.monotonic() + DAY_SECONDS
            self._run_periodic(periodic)
            time.sleep(interval)

    def run_daily_tasks(self) -> None:
        """Each of the processes' daily tasks, as beat fires them (they are idempotent)."""
        for path in settings.DAILY_TASKS:
            outcome = import_string(path)()
            self.stdout.write(f"{path}: {outcome}")

    def _run_periodic(self, due: dict[str, float]) -> None:
        """The other apps' periodic tasks (SCHEDULER_PERIODIC_TASKS), at start and then each at
        its interval, as beat's schedule would."""
        for path, at in due.items():
            if time.monotonic() >= at:
                result = import_string(path)()
                self.stdout.write(f"{path}: {result}")
                due[path] = time.monotonic() + settings.SCHEDULER_PERIODIC_TASKS[path]

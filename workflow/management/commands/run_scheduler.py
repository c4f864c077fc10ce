"""Run the timer sweep and the outbox relay in a loop: the in-process stand-in for Celery beat
and a worker, for running without Redis (the demo)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from workflow import outbox, timers


class Command(BaseCommand):
    help = "Sweep due timers and relay the outbox every few seconds (no broker needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=settings.SCHEDULER_INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true", help="Run one round and stop.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        while True:
            handled = timers.sweep()
            sent = outbox.relay()
            if handled or sent:
                self.stdout.write(f"timers handled: {handled}, messages relayed: {sent}")
            if once:
                return
            time.sleep(interval)

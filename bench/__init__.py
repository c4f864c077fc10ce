"""LoanFlow's benchmarks: ``python -m bench`` (or ``make bench``) runs them and prints ratios.

Machines here are shared and noisy, so every figure that matters is a ratio of two measurements
taken in the same run (engine ÷ raw SQL, 100,000 rows ÷ 1,000 rows, ...), never an absolute time
compared with another run. Each suite is a module of this package with a ``run(scale)`` function;
``docs/performance.md`` records the figures and the command that produced them.
"""

from __future__ import annotations

import os


def setup() -> None:
    """Set Django up for a benchmark process (``python -m bench`` and the processes it starts).

    The project's settings (``config.settings.local`` unless ``DJANGO_SETTINGS_MODULE`` says
    otherwise), with django-fsm-log's app added: the engine's peer is logged by it
    (bench/engine.py). Every process of a run installs the same apps, so each finds the
    migrations recorded in the benchmark's database on disk (``bench.data.use_bench_database``
    makes again a database that records migrations it does not know)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django
    from django.conf import settings

    if "django_fsm_log" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_fsm_log"]
    django.setup()
    from bench.engine import log_peer_only

    log_peer_only()

"""Celery beat's heartbeat: beat stamps the time in Redis at each tick, ``/readyz`` reads it.

Run beat with this scheduler (``CELERY_BEAT_SCHEDULER``, set in the settings): each tick, and at
least every ``HEARTBEAT_SECONDS``, it writes the current time to ``HEARTBEAT_KEY`` in the broker's
Redis database. A stamp older than ``BEAT_HEARTBEAT_MAX_AGE_SECONDS`` means no beat is running:
no timer sweep, no outbox relay, and ``/readyz`` answers 503.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "loanflow:beat:heartbeat"
HEARTBEAT_SECONDS = 5.0


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(str(settings.REDIS_URL), socket_connect_timeout=2, socket_timeout=2)


def stamp(client: redis.Redis, now: float | None = None) -> None:
    """Write the heartbeat; it expires by itself after a day (a beat long gone leaves none)."""
    client.set(HEARTBEAT_KEY, repr(now if now is not None else time.time()), ex=86400)


def last_heartbeat(client: redis.Redis) -> float | None:
    value = client.get(HEARTBEAT_KEY)
    return float(value) if value is not None else None


class HeartbeatScheduler(PersistentScheduler):  # type: ignore[misc]  # Celery is untyped
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis: redis.Redis | None = None
        self._failing = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = float(super().tick(*args, **kwargs))
        self._heartbeat()
        return min(interval, HEARTBEAT_SECONDS)

    def _heartbeat(self) -> None:
        if not settings.REDIS_URL:
            return
        try:
            if self._redis is None:
                self._redis = redis_client()
            stamp(self._redis)
        except (redis.RedisError, OSError) as error:
            if not self._failing:
                logger.warning("beat cannot write its heartbeat to Redis: %s", error)
            self._failing = True
            return
        if self._failing:
            logger.info("beat writes its heartbeat again")
        self._failing = False

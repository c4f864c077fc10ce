"""Idempotency keys: a step repeated under the same key answers with what the first one reached.

The engine looks the key up while holding the object's row lock, so of two concurrent requests
with one key the second waits for the first, then finds its key and replays it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from workflow.models import IdempotencyKey

MAX_KEY_LENGTH = 64


def replayed(obj: models.Model, name: str, actor: Any, key: str) -> IdempotencyKey | None:
    """The earlier performance of ``name`` on ``obj`` under ``key``, if there was one.

    A key already used for another step or object is refused as an input error.
    """
    if not key or actor is None:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            {"idempotency_key": _("An idempotency key has at most 64 characters.")},
            code="idempotency_key_too_long",
        )
    if not key.isprintable():  # a control character: PostgreSQL cannot even look up a NUL
        raise ValidationError(
            {"idempotency_key": _("An idempotency key is printable text.")},
            code="idempotency_key_unprintable",
        )
    earlier = IdempotencyKey.objects.filter(actor_id=actor.pk, key=key).first()
    if earlier is None:
        return None
    if (
        earlier.content_type_id != ContentType.objects.get_for_model(obj).pk
        or earlier.object_id != obj.pk
        or earlier.action != name
    ):
        raise ValidationError(
            {"idempotency_key": _("This idempotency key was used for another step.")},
            code="idempotency_key_reused",
        )
    return earlier


def remember(
    obj: models.Model,
    name: str,
    actor: Any,
    key: str,
    result: models.Model | None,
    now: datetime,
) -> None:
    """Keep ``key`` with what the step produced, in the step's own transaction."""
    if not key or actor is None:
        return
    IdempotencyKey.objects.create(
        actor_id=actor.pk,
        key=key,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        action=name,
        result_type=ContentType.objects.get_for_model(result) if result is not None else None,
        result_id=result.pk if result is not None else None,
        created_at=now,
    )


def result_of(earlier: IdempotencyKey) -> models.Model | None:
    """The record the earlier performance produced (None when it produced none)."""
    if earlier.result_type is None:
        return None
    model = earlier.result_type.model_class()
    if model is None:
        return None
    manager = getattr(model, "all_objects", model._default_manager)
    found: models.Model | None = manager.filter(pk=earlier.result_id).first()
    return found

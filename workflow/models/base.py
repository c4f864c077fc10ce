"""The bases of the engine's models: append-only records, which the ORM refuses to change or
delete, and the objects a process moves through its states."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, NoReturn

from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an append-only record through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class StateMachine(ConcurrentTransitionMixin, models.Model):
    """An object a process moves through its states: django-fsm's ``ConcurrentTransitionMixin``
    (a save is filtered on the states the object was read in), with the model's state fields
    found once per model rather than by going through its fields on every instance made (every
    row read, every step)."""

    class Meta:
        abstract = True

    @property
    def state_fields(self) -> Iterable[FSMFieldMixin]:
        return _state_fields(type(self))


@cache
def _state_fields(model: type[models.Model]) -> tuple[FSMFieldMixin, ...]:
    return tuple(field for field in model._meta.fields if isinstance(field, FSMFieldMixin))

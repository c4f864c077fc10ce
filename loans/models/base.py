"""What the stage-record models share: the loan and staff keys, money, and cancellation."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class NamedInBothLanguages(models.Model):
    """Reference data a user reads by name (a branch, a product): named in English and in
    Simplified Chinese, shown in the reader's language (English when no Chinese name is given)."""

    name = models.CharField(_("name in English"), max_length=128)
    name_zh_hans = models.CharField(_("name in Simplified Chinese"), max_length=128, blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        if self.name_zh_hans and (get_language() or "").lower().startswith("zh"):
            return self.name_zh_hans
        return self.name


def loan_fk(verbose: Any, related_name: str) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        "loans.Loan", verbose_name=verbose, on_delete=models.CASCADE, related_name=related_name
    )


def staff_fk(verbose: Any, *, optional: bool = False) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=optional,
        blank=optional,
        on_delete=models.PROTECT,
        related_name="+",
    )


def money(verbose: Any, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(verbose, max_digits=14, decimal_places=2, **kwargs)


class LiveRecords(models.Manager):  # type: ignore[type-arg]
    """Records in force: a cancelled record stays in the file but counts for nothing."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(cancelled_at__isnull=True)


class StageRecord(models.Model):
    """A record in a loan's file. It is never deleted: a mistake is corrected, or the record is
    cancelled with a reason, through the engine's correction actions (loans/workflow.py).

    ``objects`` (and so ``loan.<records>``) holds the records in force; ``all_objects`` every one.
    """

    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = staff_fk(_("cancelled by"), optional=True)
    cancellation_reason = models.TextField(_("why it was cancelled"), blank=True)

    # The field naming the person who made the record (its author may correct it in its stage).
    author_field: ClassVar[str]

    objects = LiveRecords()
    all_objects = models.Manager()  # noqa: DJ012 - a manager, read as a field

    class Meta:
        abstract = True

    @property
    def author_id(self) -> int | None:
        return getattr(self, f"{self.author_field}_id")  # type: ignore[no-any-return]

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

"""Small helpers shared by the stage-record models."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


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

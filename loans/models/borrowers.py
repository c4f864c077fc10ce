"""Borrowers: individuals (resident ID number) and micro enterprises (social credit code)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import BorrowerKind, Industry
from loans.validators import (
    is_valid_resident_id,
    is_valid_uscc,
    normalise_resident_id,
    normalise_uscc,
    validate_resident_id,
    validate_uscc,
)


class Borrower(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=BorrowerKind.choices)
    name = models.CharField(_("name"), max_length=128)
    id_number = models.CharField(
        _("identity number"),
        max_length=18,
        unique=True,
        help_text=_("Resident ID number for individuals, unified social credit code for firms."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    group = models.CharField(
        _("borrower group"),
        max_length=128,
        blank=True,
        help_text=_("Related borrowers (family, owners, guarantee circle) share a group name."),
    )
    branch = models.ForeignKey(
        "loans.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="borrowers"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ["name"]
        # The search box finds a borrower by the phone number as written down (loans/search.py).
        indexes = [models.Index(fields=["phone"], name="borrower_phone")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == BorrowerKind.INDIVIDUAL:
            self.id_number = normalise_resident_id(self.id_number)
            validator = validate_resident_id
        else:
            self.id_number = normalise_uscc(self.id_number)
            validator = validate_uscc
        try:
            validator(self.id_number)
        except ValidationError as error:
            raise ValidationError({"id_number": error}) from None

    @property
    def identity_is_valid(self) -> bool:
        if self.kind == BorrowerKind.INDIVIDUAL:
            return is_valid_resident_id(self.id_number)
        if self.kind == BorrowerKind.ENTERPRISE:
            return is_valid_uscc(self.id_number)
        return False

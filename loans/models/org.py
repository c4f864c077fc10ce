"""Branches and staff."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.models.base import NamedInBothLanguages
from loans.roles import Role


class Branch(NamedInBothLanguages):
    code = models.CharField(_("code"), max_length=16, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_offices",
    )

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    def subtree_ids(self) -> set[int]:
        """This branch and all its sub-offices, at any depth."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            children = list(
                Branch.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            frontier = [pk for pk in children if pk not in ids]
            ids.update(frontier)
        return ids


class User(AbstractUser):
    """A member of staff. Roles are Django groups named after :class:`loans.roles.Role`."""

    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    authority_level = models.PositiveSmallIntegerField(
        _("approval authority level"),
        null=True,
        blank=True,
        help_text=_("For approvers: the authority tier they may approve up to (1 is the lowest)."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True)) & set(Role.values)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @cached_property
    def visible_branch_ids(self) -> frozenset[int]:
        """Branches whose loans this user may see: their own, and for a branch head its subtree."""
        if self.branch_id is None:
            return frozenset()
        if self.has_role(Role.BRANCH_HEAD):
            assert self.branch is not None  # noqa: S101 - branch_id is set
            return frozenset(self.branch.subtree_ids())
        return frozenset({self.branch_id})

"""The comment thread on a loan: staff who see the loan write to its file, oldest first."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loans.models.base import loan_fk, staff_fk

# The longest comment a person may post (the web form and the API say so too).
COMMENT_MAX_LENGTH = 4000


class LoanComment(models.Model):
    """A comment on the loan, written by the engine's ``comment_post`` action (audited in the
    loan's chain). Never edited or deleted: a correction is a new comment."""

    loan = loan_fk(_("loan"), "comments")
    author = staff_fk(_("written by"))
    text = models.TextField(pgettext_lazy("a comment on the loan", "comment"))
    mentioned = staff_fk(_("colleague mentioned"), optional=True)
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = pgettext_lazy("a comment on the loan", "comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["loan", "created_at", "id"], name="comment_thread")]

    def __str__(self) -> str:
        return f"{self.loan} comment by {self.author_id}"

"""The comment thread of a loan: a comment is a write to the loan's file, performed by the engine
(``comment_post`` in loans/workflow.py) under the loan's row lock and audited in its chain."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from django.utils.translation import gettext as _

from loans.models import LoanComment
from workflow import outbox
from workflow.checks import CheckContext
from workflow.models import Notification
from workflow.notifications import EMAIL_TASK


def comment_post(ctx: CheckContext) -> LoanComment:
    """Add the comment; tell the colleague it mentions, with a link to the loan (the inbox and an
    e-mail through the outbox), in the same transaction."""
    comment = LoanComment.objects.create(
        loan=ctx.obj,
        author=ctx.actor,
        text=str(ctx.payload["text"]).strip(),
        mentioned=ctx.payload.get("mentioned"),
        created_at=ctx.now,
    )
    if comment.mentioned is not None and comment.mentioned.pk != ctx.actor.pk:
        _notify_mentioned(comment)
    return comment


def _notify_mentioned(comment: LoanComment) -> None:
    author = comment.author.get_full_name() or comment.author.get_username()
    with translation.override(settings.LANGUAGE_CODE):
        facts = {"who": author, "loan": comment.loan.reference}
        subject = _("%(who)s mentioned you on %(loan)s") % facts
        body = _("%(who)s wrote on %(loan)s: %(text)s") % {**facts, "text": comment.text}
    notification = Notification.objects.create(
        recipient=comment.mentioned,
        kind=Notification.Kind.MENTION,
        content_type=ContentType.objects.get_for_model(comment.loan),
        object_id=comment.loan.pk,
        subject=subject[:255],
        body=body,
        created_at=comment.created_at,
    )
    outbox.enqueue(EMAIL_TASK, notification.pk)

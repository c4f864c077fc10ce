"""Notifications: an in-app inbox, and e-mail sent through the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from workflow import outbox
from workflow.models import Deviation, Notification, Timer, VerificationRun

EMAIL_TASK = "workflow.tasks.email_notification"


def _texts(kind: str, obj: Any, timer: Timer) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        due = f"{timezone.localtime(timer.due_at):%Y-%m-%d %H:%M}"
        subjects = {
            Notification.Kind.REMINDER: _("Reminder: %(object)s is due at %(due)s"),
            Notification.Kind.OVERDUE: _("Overdue: %(object)s was due at %(due)s"),
            Notification.Kind.ESCALATION: _("Escalation: %(object)s is late since %(due)s"),
        }
        subject = subjects[Notification.Kind(kind)] % {"object": obj, "due": due}
        body = _("%(stage)s of %(object)s: due %(due)s.") % {
            "stage": timer.get_kind_display(),
            "object": obj,
            "due": due,
        }
    return subject, body


def notify(
    recipients: Iterable[Any], timer: Timer, obj: models.Model, kind: str, now: datetime
) -> list[Notification]:
    """Create one notification per recipient, once per (timer, kind, recipient), each with an
    e-mail task in the outbox, in the caller's transaction."""
    return notify_all([(timer, obj, kind, list(recipients))], now)


def notify_all(
    wanted: Iterable[tuple[Timer, models.Model, str, Iterable[Any]]], now: datetime
) -> list[Notification]:
    """:func:`notify` for a set of (timer, object, kind, recipients), in three statements: the
    notifications already sent, the new ones, and their e-mail tasks. The caller holds the
    timers' row locks, so no one else sends them meanwhile."""
    candidates: dict[tuple[int, str, int], Notification] = {}
    for timer, obj, kind, recipients in wanted:
        subject, body = _texts(kind, obj, timer)
        for recipient in recipients:
            candidates.setdefault(
                (timer.pk, str(kind), recipient.pk),
                Notification(
                    timer=timer,
                    kind=kind,
                    recipient=recipient,
                    content_type=ContentType.objects.get_for_model(obj),
                    object_id=obj.pk,
                    subject=subject,
                    body=body,
                    created_at=now,
                ),
            )
    if not candidates:
        return []
    sent = set(
        Notification.objects.filter(timer_id__in={key[0] for key in candidates}).values_list(
            "timer_id", "kind", "recipient_id"
        )
    )
    created = Notification.objects.bulk_create(
        [notification for key, notification in candidates.items() if key not in sent]
    )
    outbox.enqueue_all(EMAIL_TASK, [[notification.pk] for notification in created])
    return created


def notify_escalated(
    escalated: Iterable[tuple[Deviation, models.Model]], *, actor: Any, note: str, now: datetime
) -> list[Notification]:
    """Tell the people each deviation's process escalates to (a loan's branch heads) that
    compliance escalated it, with the note: one notification per recipient and deviation, about
    the deviation's object (it links to the loan's page) and naming the deviation, each with an
    e-mail task in the outbox, in the caller's transaction."""
    from workflow.registry import process_for
    from workflow.vocabulary import vocabulary_of

    who = (actor.get_full_name() or actor.get_username()) if actor is not None else ""
    wanted: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for deviation, obj in escalated:
            process = process_for(obj)
            names = vocabulary_of(process.definition)
            facts = {
                "number": deviation.pk,
                "object": obj,
                "step": names.step(deviation.transition),
                "kind": names.kind(deviation.kind),
                "who": who,
                "note": note,
            }
            subject = _("Deviation #%(number)s on %(object)s escalated") % facts
            body = (
                _(
                    "%(who)s escalated deviation #%(number)s on %(object)s (%(step)s: %(kind)s). "
                    "Note: %(note)s"
                )
                % facts
            )
            recipients = {r.pk: r for r in process.escalation_recipients(obj, None)}
            wanted.extend(
                Notification(
                    recipient=recipient,
                    kind=Notification.Kind.ESCALATION,
                    content_type=ContentType.objects.get_for_model(obj),
                    object_id=obj.pk,
                    deviation=deviation,
                    subject=subject[:255],
                    body=body,
                    created_at=now,
                )
                for recipient in recipients.values()
            )
    created = Notification.objects.bulk_create(wanted)
    outbox.enqueue_all(EMAIL_TASK, [[notification.pk] for notification in created])
    return created


def notify_audit_broken(run: VerificationRun, recipients: Iterable[Any]) -> list[Notification]:
    """Tell each recipient once that verification ``run`` found the record broken, with an
    e-mail task in the outbox, in the caller's transaction."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("The audit trail failed verification")
        body = _("%(break)s Breaks found: %(count)s. Checked at %(when)s.") % {
            "break": run.describe_break(),
            "count": run.breaks,
            "when": f"{timezone.localtime(run.finished_at):%Y-%m-%d %H:%M}",
        }
    created = []
    for recipient in {r.pk: r for r in recipients}.values():
        notification = Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.AUDIT_BROKEN,
            content_type=ContentType.objects.get_for_model(run),
            object_id=run.pk,
            subject=subject,
            body=body,
            created_at=run.finished_at,
        )
        outbox.enqueue(EMAIL_TASK, notification.pk)
        created.append(notification)
    return created


def email(notification_id: int) -> bool:
    """Send the notification's e-mail unless it was sent; return whether it was sent now."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        if notification.recipient.email:
            send_mail(
                notification.subject,
                notification.body,
                None,
                [notification.recipient.email],
            )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

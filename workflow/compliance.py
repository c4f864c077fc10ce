"""Working the deviation log: open → acknowledged → resolved, or escalated on the way."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import notifications, seals
from workflow.audit import review_hash
from workflow.models import Chain, Deviation, DeviationReview
from workflow.registry import process_for

Status = DeviationReview.Status
MOVES: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.ACKNOWLEDGED, Status.ESCALATED, Status.RESOLVED}),
    Status.ACKNOWLEDGED: frozenset({Status.ESCALATED, Status.RESOLVED}),
    Status.ESCALATED: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset(),
}


def with_status(deviations: models.QuerySet[Deviation]) -> models.QuerySet[Deviation]:
    """Annotate each deviation with ``status``, its latest review's (``open`` without one)."""
    latest = DeviationReview.objects.filter(deviation=OuterRef("pk")).order_by("-created_at", "-id")
    return deviations.annotate(
        status=Coalesce(Subquery(latest.values("status")[:1]), Value(Status.OPEN))
    )


def status_of(deviation: Deviation) -> str:
    latest = deviation.reviews.order_by("-seq").first()
    return latest.status if latest else Status.OPEN


def review(deviation: Deviation, *, status: str, actor: Any, note: str) -> DeviationReview:
    """Move ``deviation`` to ``status`` with a note; only compliance staff in scope may."""
    (entry,) = review_many([deviation], status=status, actor=actor, note=note)
    return entry


def review_many(
    deviations: Sequence[Deviation], *, status: str, actor: Any, note: str
) -> list[DeviationReview]:
    """Move every one of ``deviations`` to ``status`` with the same note, all or none.

    Each gets a review of its own (who, when, the note) chained to its previous one and sealed,
    exactly as one reviewed alone; the rules are the same for each: the person works the
    deviation log of the process and may access the deviation's object, and the move is one the
    deviation's current status allows. An escalation tells the people the process escalates to
    (``Process.escalation_recipients``: a loan's branch heads), through the notification inbox
    and the outbox, in the same transaction. A constant number of statements for the set, but
    for the objects' and the recipients' reads."""
    if not deviations:
        raise ValidationError({"deviations": _("Select at least one deviation.")})
    if not note.strip():
        raise ValidationError({"note": _("Write a note.")})
    objects = _objects_worked_by(deviations, actor)
    ids = sorted({deviation.pk for deviation in deviations})
    with transaction.atomic():
        # One at a time per deviation: the rows are locked in one order, so two sets wait.
        locked = list(Deviation.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        latest: dict[int, DeviationReview] = {}
        for entry in DeviationReview.objects.filter(deviation_id__in=ids).order_by("seq"):
            latest[entry.deviation_id] = entry
        refused = []
        for deviation in locked:
            current = latest[deviation.pk].status if deviation.pk in latest else Status.OPEN
            if status not in MOVES[current]:
                refused.append(
                    _("#%(number)s is %(current)s and cannot become %(status)s.")
                    % {"number": deviation.pk, "current": _label(current), "status": _label(status)}
                )
        if refused:
            raise ValidationError({"status": refused})
        entries = _append_reviews(locked, latest, status=status, note=note.strip(), actor=actor)
        if status == Status.ESCALATED:
            notifications.notify_escalated(
                [(entry.deviation, objects[entry.deviation_id]) for entry in entries],
                actor=actor,
                note=note.strip(),
                now=entries[0].created_at,
            )
        return entries


def _label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _objects_worked_by(deviations: Sequence[Deviation], actor: Any) -> dict[int, models.Model]:
    """The object of each deviation, by deviation, once the person is found to work all of
    them: one read per kind of object."""
    by_type: dict[int, list[Deviation]] = defaultdict(list)
    for deviation in deviations:
        by_type[deviation.content_type_id].append(deviation)
    found: dict[int, models.Model] = {}
    for content_type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        try:
            process = process_for(model) if model else None
        except LookupError:
            process = None
        if model is None or process is None:
            raise PermissionDenied(_("You may not work this deviation."))
        objects = model._default_manager.in_bulk({d.object_id for d in group})
        for deviation in group:
            obj = objects.get(deviation.object_id)
            if obj is None or not process.can_access(actor, obj):
                raise PermissionDenied(_("You may not work this deviation."))
            found[deviation.pk] = obj
        if not (process.roles_of(actor) & process.compliance_roles):
            raise PermissionDenied(_("Only compliance staff work the deviation log."))
    return found


def _append_reviews(
    deviations: list[Deviation],
    latest: dict[int, DeviationReview],
    *,
    status: str,
    note: str,
    actor: Any,
) -> list[DeviationReview]:
    """Chain each review to the deviation's previous one (the first to the deviation), write
    them, and move their seals: three statements for the set."""
    now = timezone.now()
    entries = []
    for deviation in deviations:
        before = latest.get(deviation.pk)
        entry = DeviationReview(
            deviation=deviation,
            status=status,
            note=note,
            actor=actor,
            created_at=now,
            seq=before.seq + 1 if before else 1,
            prev_hash=before.hash if before else deviation.hash,
        )
        entry.hash = review_hash(entry)
        entries.append(entry)
    DeviationReview.objects.bulk_create(entries)
    deviation_type = ContentType.objects.get_for_model(Deviation).pk
    heads = {
        (deviation_type, entry.deviation_id): seals.Head(entry.seq, entry.hash) for entry in entries
    }
    seals.seal_many(Chain.REVIEWS, heads, now)
    return entries

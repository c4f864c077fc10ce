"""Working the deviation log: open → acknowledged → resolved, or escalated on the way."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import seals
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
    model = deviation.content_type.model_class()
    obj = model._default_manager.filter(pk=deviation.object_id).first() if model else None
    process = process_for(model) if model else None
    if process is None or obj is None or not process.can_access(actor, obj):
        raise PermissionDenied(_("You may not work this deviation."))
    if not (process.roles_of(actor) & process.compliance_roles):
        raise PermissionDenied(_("Only compliance staff work the deviation log."))
    if not note.strip():
        raise ValidationError({"note": _("Write a note.")})
    with transaction.atomic():
        Deviation.objects.select_for_update().filter(pk=deviation.pk).exists()  # one at a time
        latest = deviation.reviews.order_by("-seq").first()
        current = latest.status if latest else Status.OPEN
        if status not in MOVES[current]:
            raise ValidationError(
                {
                    "status": _("A deviation that is %(current)s cannot become %(status)s.")
                    % {"current": current, "status": status}
                }
            )
        return _append_review(deviation, latest, status=status, note=note.strip(), actor=actor)


def _append_review(
    deviation: Deviation, latest: DeviationReview | None, *, status: str, note: str, actor: Any
) -> DeviationReview:
    """Chain the review to the previous one (the first to the deviation) and move the seal."""
    now = timezone.now()
    entry = DeviationReview(
        deviation=deviation,
        status=status,
        note=note,
        actor=actor,
        created_at=now,
        seq=latest.seq + 1 if latest else 1,
        prev_hash=latest.hash if latest else deviation.hash,
    )
    entry.hash = review_hash(entry)
    entry.save()
    deviation_type = ContentType.objects.get_for_model(Deviation)
    seals.seal(Chain.REVIEWS, deviation_type.pk, deviation.pk, entry.seq, entry.hash, now)
    return entry

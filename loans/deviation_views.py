"""The compliance workspace: the deviation log with its filters, a deviation's page, the review of
one deviation or of several with one note, and the exports (loans/deviation_export.py).

Compliance officers work the log; branch heads read it. Each sees the deviations of the branches
they see, and every code by its name in the reader's language (workflow/vocabulary.py). The log
and the exports only read, and may be a moment behind: with a replica configured they read from
it (config/db_router.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.db_router import bound_to_read_database, reads_from_replica
from loans import deviation_export
from loans.filters import DeviationLogFilter
from loans.models import Branch, Loan, User
from loans.paging import WebPage, web_page
from loans.roles import Role
from loans.selectors import DEVIATION_ORDERS, deviations_visible_to
from workflow import compliance
from workflow.models import Deviation
from workflow.registry import process_for
from workflow.verification import latest_complete_run
from workflow.vocabulary import Vocabulary, vocabulary_of

READERS = frozenset({Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD})
# The moves offered for several deviations at once (one at a time, on a deviation's page: all).
BULK_MOVES = (compliance.Status.ACKNOWLEDGED, compliance.Status.ESCALATED)


def deviations_for(user: User) -> QuerySet[Deviation]:
    """The deviations ``user`` may read (403 for anyone but compliance and branch heads)."""
    if not (user.roles & READERS):
        raise PermissionDenied
    return deviations_visible_to(user)


def loan_vocabulary() -> Vocabulary:
    return vocabulary_of(process_for(Loan).definition)


@dataclass(frozen=True)
class DeviationRow:
    """A deviation as the log shows it: every code by its name."""

    deviation: Deviation
    loan_id: int | None
    reference: str
    staff: str
    step: str
    from_state: str
    kind: str
    severity: str
    checks: list[str]
    status: str
    status_code: str

    @property
    def pk(self) -> int:
        return self.deviation.pk


def describe(deviations: list[Deviation], names: Vocabulary) -> list[DeviationRow]:
    """The rows of a page, with each loan's reference read in one statement."""
    loan_type = ContentType.objects.get_for_model(Loan).pk
    ids = {d.object_id for d in deviations if d.content_type_id == loan_type}
    references = dict(Loan.objects.filter(pk__in=ids).values_list("pk", "reference"))
    rows = []
    for deviation in deviations:
        loan_id = deviation.object_id if deviation.content_type_id == loan_type else None
        actor = deviation.actor
        status = getattr(deviation, "status", compliance.Status.OPEN)
        rows.append(
            DeviationRow(
                deviation=deviation,
                loan_id=loan_id if loan_id in references else None,
                reference=references.get(loan_id, "") if loan_id is not None else "",
                staff=(actor.get_full_name() or actor.username) if actor else "",
                step=names.step(deviation.transition),
                from_state=names.state(deviation.from_state),
                kind=names.kind(deviation.kind),
                severity=names.severity(deviation.severity),
                checks=[names.check(code) for code in deviation.failed_codes],
                status=names.status(status),
                status_code=status,
            )
        )
    return rows


def _log_filter(request: HttpRequest, user: User) -> DeviationLogFilter:
    branches = Branch.objects.filter(pk__in=user.visible_branch_ids)
    staff = User.objects.filter(branch_id__in=user.visible_branch_ids).order_by("username")
    return DeviationLogFilter(
        request.GET,
        queryset=deviations_for(user),
        vocabulary=loan_vocabulary(),
        branches=[(branch.code, str(branch)) for branch in branches],
        staff=[
            (person.username, f"{person.get_full_name()} ({person.username})")
            if person.get_full_name()
            else (person.username, person.username)
            for person in staff
        ],
        loan_type_id=ContentType.objects.get_for_model(Loan).pk,
    )


@login_required
@reads_from_replica()
def deviation_log(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    filtered = _log_filter(request, user)
    if not filtered.is_valid():  # the form shows what is wrong, above an empty list
        page = WebPage(rows=[], next_url=None, previous_url=None)
    else:
        order = DEVIATION_ORDERS[filtered.form.cleaned_data.get("sort") or "newest"]
        page = web_page(request, filtered.qs, order)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "loans/deviation_log.html",
        {
            "filter": filtered,
            "page": page,
            "rows": describe(page.rows, loan_vocabulary()),
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "last_verification": latest_complete_run(),
            "may_review": user.has_role(Role.COMPLIANCE_OFFICER),
            "bulk_moves": [(move.value, move.label) for move in BULK_MOVES],
        },
        status=page.status,
    )


@login_required
@require_POST
def deviation_review_many(request: HttpRequest) -> HttpResponse:
    """Acknowledge or escalate the selected deviations with one note: each gets its own review
    (workflow.compliance.review_many), or none does and the page says why."""
    user: User = request.user  # type: ignore[assignment]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("loans:deviations")
    try:
        ids = sorted({int(value) for value in request.POST.getlist("deviation")})
    except ValueError:
        ids = []
    status = request.POST.get("status", "")
    chosen = list(deviations_for(user).filter(pk__in=ids))
    if len(chosen) != len(ids):  # another branch's, or none at all: never told which
        raise PermissionDenied(_("You may not work this deviation."))
    if status not in BULK_MOVES:
        messages.error(request, _("Choose acknowledge or escalate."))
        return redirect(back)
    try:
        entries = compliance.review_many(
            chosen, status=status, actor=user, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = compliance.Status(status).label
        messages.success(
            request,
            ngettext(
                "%(count)s deviation recorded as %(status)s.",
                "%(count)s deviations recorded as %(status)s.",
                len(entries),
            )
            % {"count": len(entries), "status": label},
        )
    return redirect(back)


@login_required
def deviation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    deviation = get_object_or_404(deviations_for(user), pk=pk)
    if request.method == "POST":
        try:
            compliance.review(
                deviation,
                status=request.POST.get("status", ""),
                actor=user,
                note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded."))
        return redirect("loans:deviation", pk=pk)
    return render(request, "loans/deviation_detail.html", _detail_context(user, deviation))


def _detail_context(user: User, deviation: Deviation) -> dict[str, Any]:
    names = loan_vocabulary()
    language = translation.get_language() or "en"
    (row,) = describe([deviation], names)
    status = compliance.status_of(deviation)
    roles = dict(Role.choices)
    return {
        "deviation": deviation,
        "row": row,
        "loan": Loan.objects.filter(pk=row.loan_id).first() if row.loan_id else None,
        "roles": [str(roles.get(role, role)) for role in deviation.actor_roles],
        "channel": names.channel(deviation.channel),
        "checks": [
            {
                **item,
                "title": names.check(item["code"]),
                "text": item["reason"].get(language, item["reason"].get("en", "")),
                "severity_label": _("soft check")
                if item.get("severity") == "soft"
                else _("hard check"),
            }
            for item in deviation.failed_checks
        ],
        "reviews": [
            (review, names.status(review.status))
            for review in deviation.reviews.select_related("actor")
        ],
        "status": names.status(status),
        "moves": [(move, names.status(move)) for move in sorted(compliance.MOVES[status])],
        "may_review": user.has_role(Role.COMPLIANCE_OFFICER),
    }


# --- the exports --------------------------------------------------------------------------------


def _export(request: HttpRequest) -> deviation_export.Export:
    user: User = request.user  # type: ignore[assignment]
    filtered = _log_filter(request, user)
    if not filtered.is_valid():
        raise PermissionDenied(_("The filters are not valid."))
    order = DEVIATION_ORDERS[filtered.form.cleaned_data.get("sort") or "newest"]
    keys = [f"-{key}" if order.descending else key for key in order.keys]
    # Read after this view returns (the CSV streams): bound now to the database chosen here.
    rows = bound_to_read_database(filtered.qs.order_by(*keys).values_list(*deviation_export.FIELDS))
    return deviation_export.Export(
        rows=rows,
        vocabulary=loan_vocabulary(),
        language=translation.get_language() or "en",
    )


@login_required
@reads_from_replica()
def deviation_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed as the database finds the rows."""
    response = StreamingHttpResponse(
        deviation_export.csv_chunks(_export(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="deviations.csv"'
    return response


@login_required
@reads_from_replica()
def deviation_export_xlsx(request: HttpRequest) -> FileResponse:
    """The filtered log as an XLSX workbook, one sheet, one row per deviation."""
    return FileResponse(
        deviation_export.xlsx_file(_export(request)),
        as_attachment=True,
        filename="deviations.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

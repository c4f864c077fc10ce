"""The core-banking import for disbursement officers: a form to upload the file, then the report
of what it did (loans/feed/). Every write is the engine's; the view only reads the upload."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from loans.feed import FeedConflict, feed_import
from loans.forms import styled
from loans.models import FeedImport, User
from loans.roles import Role

IMPORTERS = frozenset({Role.DISBURSEMENT_OFFICER})
READERS = IMPORTERS | {Role.BRANCH_HEAD}
SHOWN_REJECTIONS = 500  # rows refused shown on the page (the count says how many in all)


class FeedForm(forms.Form):
    file = forms.FileField(
        label=_("Core banking file (CSV, UTF-8)"),
        help_text=_(
            "The first row names the columns below; a row gives a repayment, days past due or both."
        ),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > settings.LOANFLOW_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.LOANFLOW_MAX_UPLOAD_BYTES),
                },
            )
        return bytes(upload.read())


def _imports_for(user: User) -> QuerySet[FeedImport]:
    if not user.roles & READERS:
        raise PermissionDenied
    return FeedImport.objects.filter(branch_id__in=user.visible_branch_ids).select_related(
        "imported_by"
    )


@login_required
def feed_upload(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    recent = _imports_for(user)[:20]
    may_import = bool(user.roles & IMPORTERS)
    form = FeedForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_import:
            raise PermissionDenied
        if form.is_valid():
            name = getattr(request.FILES.get("file"), "name", "") or "feed.csv"
            try:
                result = feed_import(content=form.cleaned_data["file"], file_name=name, actor=user)
            except FeedConflict:
                form.add_error(None, _("Another import wrote the same rows just now: try again."))
            else:
                url = reverse("loans:feed-report", args=[result.feed_import.pk])
                return redirect(f"{url}?again=1" if result.repeated else url)
    return render(
        request,
        "loans/feed_upload.html",
        {"form": styled(form), "recent": recent, "may_import": may_import},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def feed_report(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    found = get_object_or_404(_imports_for(user), pk=pk)
    language = translation.get_language() or "en"
    rejections = [
        {**item, "text": item["reason"].get(language, item["reason"].get("en", ""))}
        for item in found.rejections[:SHOWN_REJECTIONS]
    ]
    return render(
        request,
        "loans/feed_report.html",
        {
            "feed_import": found,
            "rejections": rejections,
            "more": max(len(found.rejections) - SHOWN_REJECTIONS, 0),
            "again": request.GET.get("again") == "1",
        },
    )

"""A loan's documents and photos: served only through these views (never a public media URL), and
site-visit photos uploaded several at once, each through the engine's ``document_upload``."""

from __future__ import annotations

import mimetypes
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from loans.access import get_document_for_user, get_loan_for_user
from loans.choices import DocumentKind
from loans.models import User
from loans.views import refused_message
from workflow.actions import perform_action
from workflow.engine import TransitionRefused
from workflow.models import Channel

CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@login_required
@require_GET
@xframe_options_sameorigin  # a PDF is previewed in a frame of the loan page, nowhere else
# The browser shows a photo or a PDF in a page of its own, which styles itself inline; the file is
# never HTML (proved by decoding on upload, and sent with nosniff), and scripts stay 'self'.
@csp_replace({"frame-ancestors": [SELF], "style-src": [SELF, UNSAFE_INLINE]})  # type: ignore[arg-type]
def document_file(
    request: HttpRequest, pk: int, document_id: int, variant: str = "file"
) -> FileResponse:
    """The stored file (or a photo's thumbnail) of a document of the loan, to a person who may
    read the loan's documents: shown inline, or downloaded with ``?download=1``."""
    user: User = request.user  # type: ignore[assignment]
    document = get_document_for_user(user, pk, document_id)
    stored = document.thumbnail if variant == "thumbnail" else document.file
    if not stored:
        raise Http404("This document has no thumbnail.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    extension = "." + stored.name.rsplit(".", 1)[-1].lower()
    content_type = (
        CONTENT_TYPES.get(extension)
        or mimetypes.guess_type(stored.name)[0]
        or "application/octet-stream"
    )
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def site_visit_photos(request: HttpRequest, pk: int, visit_id: int) -> HttpResponse:
    """Photos of a site visit, one or several in a request (a tablet's camera, or files): each is
    stored by the engine's ``document_upload`` action, under its checks, with its own audit event.
    Answers JSON to the page's script (``Accept: application/json``), else goes back to the loan
    with a message."""
    user: User = request.user  # type: ignore[assignment]
    loan = get_loan_for_user(user, pk)
    visit = loan.site_visits.filter(pk=visit_id).first()
    if visit is None:
        raise Http404("No such site visit on this loan.")
    files = request.FILES.getlist("photos")
    token = str(request.POST.get("idempotency_key", ""))[:60]
    stored, errors = 0, []
    if not files:
        errors.append(_("Choose at least one photo."))
    for index, file in enumerate(files):
        try:
            perform_action(
                loan,
                "document_upload",
                actor=user,
                data={"kind": DocumentKind.PHOTO, "site_visit": visit, "file": file},
                channel=Channel.WEB,
                idempotency_key=f"{token}-{index}" if token else "",
            )
        except ValidationError as invalid:
            errors.append(f"{file.name}: {' '.join(_messages_of(invalid))}")
        except TransitionRefused as refused:
            errors.append(refused_message(refused.failed, recorded=True))
            break  # the same refusal would meet every other photo
        else:
            stored += 1
    back = reverse("loans:detail", args=[pk]) + f"#visit-{visit.pk}"
    for problem in errors:  # shown on the loan page the person goes back to
        messages.error(request, problem)
    if "application/json" in request.headers.get("Accept", ""):
        status = 200 if stored or not errors else 400
        return JsonResponse({"stored": stored, "errors": errors, "next": back}, status=status)
    if stored:
        messages.success(
            request,
            ngettext("%(count)d photo added.", "%(count)d photos added.", stored)
            % {"count": stored},
        )
    return redirect(back)


def _messages_of(error: ValidationError) -> list[str]:
    found: Any = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    return [str(message) for messages_ in found.values() for message in messages_]

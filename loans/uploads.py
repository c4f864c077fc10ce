"""What an uploaded file must be before it is stored, and the name it is stored under.

A file's name and first bytes can lie, so each accepted type is proved by its structure: a photo
must decode completely with Pillow as the format its extension names (JPEG or PNG), a PDF must
parse with pypdf (header, cross-reference table, trailer, at least one page) and hold no
JavaScript or launch action. Any file, of any type, that carries markup a browser would run as a
page (``<script``, ``<html``, ``<svg`` …) is refused: that is how a JPEG+HTML polyglot passes a
magic-byte check. Everything else is refused. Stored names are random (uuid4) with the accepted
extension; the name the person chose is kept as data (``Document.original_name``).

A photo accepted gets a small JPEG copy beside it (``<name>.thumb.jpg``), turned upright by its
EXIF orientation, for the loan page; and the moment it was taken, from its EXIF
``DateTimeOriginal`` (with ``OffsetTimeOriginal`` where the camera wrote it; else the bank's
local time).

The request that carries the file is capped before it is read (config/middleware.py, the proxy's
``client_max_body_size``): see docs/security.md, "Uploads".
"""

from __future__ import annotations

import io
import re
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

# The accepted extensions, and what the file's content must decode as.
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
PDF = ".pdf"
ACCEPTED = frozenset({*IMAGE_FORMATS, PDF})
PHOTO_EXTENSIONS = frozenset(IMAGE_FORMATS)
# The longest side of a photo's thumbnail, in pixels (twice the size shown, for sharp screens).
THUMBNAIL_SIZE = 480
# A photo this large is refused before it is decoded (a decompression bomb).
MAX_IMAGE_PIXELS = 50_000_000
# Markup that makes a browser run a file as a page, wherever it sits in the file.
ACTIVE_MARKUP = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<body",
    b"<iframe",
    b"<svg",
    b"<object",
    b"<embed",
    b"javascript:",
    b"onerror=",
    b"onload=",
)
# PDF features that run something when the document is opened (a name, not a longer name that
# starts alike, such as a font's).
PDF_ACTIONS = re.compile(rb"/(JavaScript|JS|Launch)(?![A-Za-z0-9+_.-])")


def validate_upload(file: Any, kind_accepts: frozenset[str]) -> str:
    """Refuse a file that is too large, of an extension not in ``kind_accepts``, or whose content
    is not what the extension says; return the accepted extension."""
    limit = settings.LOANFLOW_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    extension = PurePath(file.name or "").suffix.lower()
    if extension not in kind_accepts:
        raise ValidationError(
            _("Accepted files: %(types)s."),
            code="file_type",
            params={"types": ", ".join(sorted(kind_accepts))},
        )
    content = _read(file)
    if _has_active_markup(content):
        raise ValidationError(
            _("The file contains web page code and is refused."), code="file_active_content"
        )
    if extension in IMAGE_FORMATS:
        _verify_image(file, IMAGE_FORMATS[extension])
    else:
        _verify_pdf(file, content)
    file.seek(0)
    return extension


def _read(file: Any) -> bytes:
    file.seek(0)
    content: bytes = file.read()
    file.seek(0)
    return content


def _has_active_markup(content: bytes) -> bool:
    lowered = content.lower()
    return any(marker in lowered for marker in ACTIVE_MARKUP)


def _not_a(expected: str) -> ValidationError:
    return ValidationError(
        _("The file's content is not a complete %(type)s file."),
        code="file_content",
        params={"type": expected},
    )


def _verify_image(file: Any, expected: str) -> None:
    """Decode the whole image: ``verify()`` checks the structure, a second open and ``load()``
    decodes every pixel (a truncated file fails here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file) as image:
                if image.format != expected:
                    raise _not_a(expected)
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _not_a(expected)
                image.verify()
            file.seek(0)
            with Image.open(file) as image:
                image.load()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise _not_a(expected) from None
    finally:
        file.seek(0)


def _verify_pdf(file: Any, content: bytes) -> None:
    """A PDF from its header to its end-of-file marker, parsed strictly by pypdf."""
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-1024:]:
        raise _not_a("PDF")
    if PDF_ACTIONS.search(content):
        raise ValidationError(
            _("The PDF contains scripts or actions and is refused."), code="file_active_content"
        )
    try:
        file.seek(0)
        reader = PdfReader(file, strict=True)
        if reader.is_encrypted or len(reader.pages) < 1:
            raise _not_a("PDF")
        root: Any = reader.trailer["/Root"]
        names: Any = root.get("/Names", {})
        if "/OpenAction" in root or "/AA" in root or "/JavaScript" in names:
            raise ValidationError(
                _("The PDF contains scripts or actions and is refused."),
                code="file_active_content",
            )
    except ValidationError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError):
        raise _not_a("PDF") from None
    finally:
        file.seek(0)


def storage_name(extension: str) -> str:
    """A random file name with the accepted ``extension``: nothing a person typed reaches the
    storage path, and no name can be guessed from another."""
    safe = extension.lower() if extension.lower() in ACCEPTED else ""
    return f"{uuid.uuid4().hex}{'.jpg' if safe == '.jpeg' else safe}"


def display_name(name: str) -> str:
    """The name the person gave the file, as data: its last part, printable, at most 255."""
    last = PurePath(str(name).replace("\\", "/")).name
    return "".join(c for c in last if c.isprintable())[:255] or "file"


def thumbnail_name(original: str) -> str:
    """The thumbnail's storage name: beside the original, under the original's random name."""
    path = PurePath(original)
    return str(path.with_name(f"{path.stem}.thumb.jpg"))


def make_thumbnail(file: Any) -> ContentFile[bytes] | None:
    """A JPEG at most ``THUMBNAIL_SIZE`` pixels on its longer side, turned upright as its EXIF
    orientation says; None for a file that is not an image (a PDF)."""
    try:
        file.seek(0)
        with Image.open(file) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            buffer = io.BytesIO()
            upright.convert("RGB").save(buffer, format="JPEG", quality=80, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        file.seek(0)
    return ContentFile(buffer.getvalue(), name="thumb.jpg")


def capture_time(file: Any) -> datetime | None:
    """When the photo was taken, from its EXIF ``DateTimeOriginal`` (or ``DateTime``); an aware
    moment, in the camera's offset where it wrote one, else in the bank's local time."""
    try:
        file.seek(0)
        with Image.open(file) as image:
            exif = image.getexif()
            details = exif.get_ifd(ExifTags.IFD.Exif)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        file.seek(0)
    taken = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not isinstance(taken, str):
        return None
    try:
        moment = datetime.strptime(taken.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - the zone is applied below
    except ValueError:
        return None
    offset = _offset(details.get(ExifTags.Base.OffsetTimeOriginal))
    if offset is not None:
        return moment.replace(tzinfo=offset)
    return django_timezone.make_aware(moment)


def _offset(value: Any) -> timezone | None:
    """An EXIF offset such as ``+08:00``; None when absent or unreadable."""
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", str(value or "").strip().rstrip("\x00"))
    if match is None:
        return None
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))

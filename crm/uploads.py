"""Checks for the identity documents a customer uploads with an enrollment.

The file name and the Content-Type header both come from the uploader, so
neither decides anything here: the type is read from the file's first bytes,
images are decoded with Pillow and PDFs are checked for their markers. The
client's name survives only as a label to show back to staff.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image

from crm.private_files import display_name

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_DOCUMENTS = 3
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# The Pillow plugin to open each image type with, then the formats it may
# report: a camera JPEG holding several pictures opens as MPO.
_PILLOW_FORMATS = {"image/jpeg": ("JPEG", "MPO"), "image/png": ("PNG",)}
# Browsers sniff the start of a file for markup; a document that would render
# as a page there is refused whatever else it is.
_SNIFF_BYTES = 1024
_MARKUP = (b"<html", b"<script", b"<!doctype html")
_PDF_END = b"%%EOF"

_NAME_MAX_LENGTH = 100
_NAME_FALLBACK = "document"
# Control and format characters (including bidi overrides that make
# "gpj.exe" read as "exe.jpg"), surrogates, line and paragraph separators.

_MESSAGES = {
    "too_large": _("“%(name)s” is larger than %(limit)s."),
    "empty": _("“%(name)s” is empty."),
    "bad_type": _("“%(name)s” is not a JPEG, PNG or PDF file."),
    "bad_image": _("“%(name)s” is not a valid image, or it is damaged."),
    "too_many_pixels": _(
        "The image “%(name)s” is too large: at most %(megapixels)s megapixels."
    ),
    "bad_pdf": _("“%(name)s” is not a valid PDF file, or it is damaged."),
}


@dataclass(frozen=True)
class CheckedDocument:
    """An upload that passed ``check_document``, described from its content."""

    content_type: str
    extension: str
    size: int
    original_name: str


def check_document(upload: UploadedFile) -> CheckedDocument:
    """Return what ``upload`` is; raise ValidationError unless it is a good document.

    Error codes: "too_large", "empty", "bad_type", "bad_image",
    "too_many_pixels", "bad_pdf". The upload is rewound before this returns or
    raises, ready to be saved.
    """
    name = display_name(
        upload.name, fallback=_NAME_FALLBACK, max_length=_NAME_MAX_LENGTH
    )
    try:
        return _check(upload, name)
    finally:
        upload.seek(0)


def check_document_count(existing: int, adding: int) -> None:
    """Raise ValidationError(code="too_many") if the documents would exceed the cap."""
    if existing + adding > MAX_DOCUMENTS:
        raise ValidationError(
            _(
                "At most %(limit)d documents can be uploaded "
                "(already uploaded: %(existing)d)."
            ),
            code="too_many",
            params={"limit": MAX_DOCUMENTS, "existing": existing},
        )


def _check(upload: UploadedFile, name: str) -> CheckedDocument:
    # Refuse an oversized file before reading it; the read is bounded as well
    # in case the declared size is wrong.
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise _error("too_large", name)
    upload.seek(0)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _error("too_large", name)
    if not data:
        raise _error("empty", name)

    content_type = _sniff(data)
    if content_type is None:
        raise _error("bad_type", name)
    head = data[:_SNIFF_BYTES].lower()
    if content_type == "application/pdf":
        if any(sign in head for sign in _MARKUP) or _PDF_END not in data[-1024:]:
            raise _error("bad_pdf", name)
    else:
        if any(sign in head for sign in _MARKUP):
            raise _error("bad_image", name)
        problem = _image_problem(data, _PILLOW_FORMATS[content_type])
        if problem is not None:
            raise _error(problem, name)

    return CheckedDocument(
        content_type=content_type,
        extension=ALLOWED[content_type],
        size=len(data),
        original_name=name,
    )


def _sniff(data: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def _image_problem(data: bytes, formats: tuple[str, ...]) -> str | None:
    """Return the error code for a bad image, None for one that decodes."""
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; here any
        # decompression bomb is refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[formats[0]]) as image:
                if image.format not in formats:
                    return "bad_image"
                # The header's size, checked before a single pixel is decoded.
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return "too_many_pixels"
                image.verify()
            # verify() leaves the image unusable and does not decode, so a
            # truncated file only shows up when loaded from a fresh open.
            with Image.open(io.BytesIO(data), formats=[formats[0]]) as image:
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return "too_many_pixels"
        except Exception:  # noqa: BLE001
            # As in Django's ImageField.to_python: Pillow's decoders raise many
            # exception types (OSError, SyntaxError, struct.error, ...) on
            # hostile input, and each means the same thing here.
            return "bad_image"
    return None


def _error(code: str, name: str) -> ValidationError:
    return ValidationError(
        _MESSAGES[code],
        code=code,
        params={
            "name": name,
            "limit": f"{MAX_DOCUMENT_BYTES / (1024 * 1024):g} MB",
            "megapixels": f"{MAX_IMAGE_PIXELS / 1_000_000:g}",
        },
    )

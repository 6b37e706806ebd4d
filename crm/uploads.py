"""The identity documents a customer uploads with an enrollment.

JPEG, PNG or PDF, at most 2 MB each and ``MAX_DOCUMENTS`` per enrollment,
checked by content with the one upload checker (``crm.upload_checks``). The
client's name survives only as a label to show back to staff.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from crm.upload_checks import UploadPolicy, check_upload

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_DOCUMENTS = 3

ID_DOCUMENT = UploadPolicy(
    kinds={"jpeg": ".jpg", "png": ".png", "pdf": ".pdf"},
    max_bytes=MAX_DOCUMENT_BYTES,
    bad_type_message=_("“%(name)s” is not a JPEG, PNG or PDF file."),
    name_fallback="document",
    name_max_length=100,
)


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
    checked = check_upload(upload, ID_DOCUMENT)
    return CheckedDocument(
        content_type=checked.content_type,
        extension=checked.extension,
        size=checked.size,
        original_name=checked.original_name,
    )


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

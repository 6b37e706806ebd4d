"""The homework files students upload: what is allowed and how it is stored.

Checked by content with the one upload checker (``crm.upload_checks``), which
also describes each check. Allowed kinds: PDF, images (JPEG, PNG, GIF), zip
archives (inspected, never extracted), Office documents (docx / xlsx / pptx and
the legacy doc / xls / ppt) and UTF-8 text or source code, at most
STUDENT_HOMEWORK_MAX_BYTES. A text file keeps its extension only when it is a
harmless one (``crm.upload_checks.SAFE_TEXT_EXTENSIONS``: .py, .java, .md, ...);
anything else (.php, .html, .js, .sh, ...) is stored as ``.txt``. The client's
name is kept as a label only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from crm.upload_checks import (
    CONTENT_TYPES,
    SAFE_TEXT_EXTENSIONS,
    UploadPolicy,
    check_upload,
)


def max_homework_bytes() -> int:
    """Return the largest homework file accepted (STUDENT_HOMEWORK_MAX_BYTES)."""
    return settings.STUDENT_HOMEWORK_MAX_BYTES


HOMEWORK = UploadPolicy(
    kinds={
        "pdf": ".pdf",
        "jpeg": ".jpg",
        "png": ".png",
        "gif": ".gif",
        "zip": ".zip",
        "docx": ".docx",
        "xlsx": ".xlsx",
        "pptx": ".pptx",
        "doc": ".doc",
        "xls": ".xls",
        "ppt": ".ppt",
        "text": ".txt",
    },
    max_bytes=max_homework_bytes,
    bad_type_message=_(
        "“%(name)s” is not an allowed file: upload a zip archive, a PDF, an image "
        "(JPEG, PNG, GIF), an Office document or a UTF-8 text / source file."
    ),
    text_extensions=SAFE_TEXT_EXTENSIONS,
    name_fallback="homework",
    name_max_length=120,
)

# kind -> (stored extension, Content-Type served on download)
KINDS = {kind: (ext, CONTENT_TYPES[kind]) for kind, ext in HOMEWORK.kinds.items()}
# Extensions of text and source files: offered by the file picker (a hint: the
# server decides by content) and served as plain text. Wider than what is
# stored: a .php or .html upload is accepted and stored as .txt, and files
# stored before that rule still carry such extensions.
TEXT_EXTENSIONS = SAFE_TEXT_EXTENSIONS | frozenset(
    {
        ".rb",
        ".php",
        ".pl",
        ".lua",
        ".js",
        ".mjs",
        ".ts",
        ".jsx",
        ".tsx",
        ".vue",
        ".html",
        ".htm",
        ".scss",
        ".less",
        ".sh",
        ".bash",
        ".bat",
        ".ps1",
        ".xml",
    }
)
_TEXT_CONTENT_TYPE = CONTENT_TYPES["text"]
_CONTENT_TYPES = dict(KINDS.values())


@dataclass(frozen=True)
class CheckedHomework:
    """An upload that passed ``check_homework``, described from its content."""

    kind: str
    extension: str
    content_type: str
    size: int
    original_name: str


def content_type_for(name: str) -> str:
    """Return the Content-Type to serve a stored homework file ``name`` with.

    Stored names carry the extension ``check_homework`` derived from the
    content; a text extension is served as plain text, never as markup.
    """
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in TEXT_EXTENSIONS:
        return _TEXT_CONTENT_TYPE
    return _CONTENT_TYPES.get(extension, "application/octet-stream")


def check_homework(upload: UploadedFile) -> CheckedHomework:
    """Return what ``upload`` is; raise ValidationError unless it is acceptable.

    Error codes: "too_large", "empty", "bad_type", "bad_pdf", "bad_image",
    "too_many_pixels", "bad_zip", "zip_unsafe_name", "zip_too_many",
    "zip_bomb", "bad_office". The upload is rewound before this returns or
    raises, ready to be saved.
    """
    checked = check_upload(upload, HOMEWORK)
    return CheckedHomework(
        kind=checked.kind,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        original_name=checked.original_name,
    )


def display_name(name: str | None) -> str:
    """Return the client's file name made safe to show (see crm.private_files)."""
    return HOMEWORK.display_name(name)

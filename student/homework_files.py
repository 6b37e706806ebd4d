"""Checks for the homework files students upload.

The file name and the Content-Type header come from the uploader, so neither
decides what a file is: the type is read from its content. Allowed kinds:

* PDF (``%PDF-`` ... ``%%EOF``), images (JPEG, PNG, GIF, opened with Pillow);
* zip archives, inspected with ``zipfile``'s central directory only (nothing
  is extracted): no absolute names, drive letters, ``..`` components,
  backslashes, control characters or symlinks; at most
  ``MAX_ZIP_MEMBERS`` members, ``MAX_ZIP_UNCOMPRESSED_BYTES`` in total, no
  member compressed more than ``MAX_ZIP_RATIO`` times, no overlapping members
  (the trick of "non-recursive" zip bombs);
* Office documents: docx / xlsx / pptx (zip containers holding
  ``[Content_Types].xml`` and their main part, checked like any zip) and the
  legacy doc / xls / ppt (OLE compound files, ``D0 CF 11 E0``, whose
  directory names the Word, Excel or PowerPoint stream);
* text and source code: anything else that decodes as UTF-8 and holds no NUL
  byte. Its extension is kept when it is a known text extension, else
  ``.txt``.

The declared sizes of zip members can lie; the limits keep a truthful archive
small, and nothing in this project extracts archives (teachers download them
as they are).
"""

from __future__ import annotations

import codecs
import re
import stat
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image

from crm.private_files import display_name as _display_name

MAX_IMAGE_PIXELS = 40_000_000
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
# Small members may compress extremely well (a file of blanks) and harm nobody.
ZIP_RATIO_MIN_BYTES = 1024 * 1024

_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty archive
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
)
_PILLOW_FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",), "gif": ("GIF",)}
# OOXML main parts -> the document kind.
_OOXML_PARTS = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
)
# Stream names in an OLE directory (UTF-16LE) -> the document kind.
_OLE_STREAMS = (
    ("WordDocument", "doc"),
    ("Workbook", "xls"),
    ("Book", "xls"),
    ("PowerPoint Document", "ppt"),
)
_PDF_END = b"%%EOF"

# kind -> (stored extension, Content-Type served on download)
KINDS = {
    "pdf": (".pdf", "application/pdf"),
    "jpeg": (".jpg", "image/jpeg"),
    "png": (".png", "image/png"),
    "gif": (".gif", "image/gif"),
    "zip": (".zip", "application/zip"),
    "docx": (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pptx": (
        ".pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "doc": (".doc", "application/msword"),
    "xls": (".xls", "application/vnd.ms-excel"),
    "ppt": (".ppt", "application/vnd.ms-powerpoint"),
    "text": (".txt", "text/plain; charset=utf-8"),
}
TEXT_EXTENSIONS = frozenset(
    {
        ".txt",
        ".md",
        ".rst",
        ".py",
        ".ipynb",
        ".java",
        ".kt",
        ".scala",
        ".c",
        ".h",
        ".cpp",
        ".cc",
        ".hpp",
        ".cs",
        ".go",
        ".rs",
        ".rb",
        ".php",
        ".pl",
        ".lua",
        ".r",
        ".swift",
        ".m",
        ".js",
        ".mjs",
        ".ts",
        ".jsx",
        ".tsx",
        ".vue",
        ".html",
        ".htm",
        ".css",
        ".scss",
        ".less",
        ".sql",
        ".sh",
        ".bash",
        ".bat",
        ".ps1",
        ".json",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".xml",
        ".csv",
        ".tsv",
        ".log",
        ".gradle",
    }
)
_TEXT_CONTENT_TYPE = KINDS["text"][1]
_CONTENT_TYPES = dict(KINDS.values())

_NAME_MAX_LENGTH = 120
_NAME_FALLBACK = "homework"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024

_MESSAGES = {
    "too_large": _("“%(name)s” is larger than %(limit)s."),
    "empty": _("“%(name)s” is empty."),
    "bad_type": _(
        "“%(name)s” is not an allowed file: upload a zip archive, a PDF, an image "
        "(JPEG, PNG, GIF), an Office document or a UTF-8 text / source file."
    ),
    "bad_pdf": _("“%(name)s” is not a valid PDF file, or it is damaged."),
    "bad_image": _("“%(name)s” is not a valid image, or it is damaged."),
    "too_many_pixels": _(
        "The image “%(name)s” is too large: at most %(megapixels)s megapixels."
    ),
    "bad_zip": _("“%(name)s” is not a valid zip archive, or it is damaged."),
    "zip_unsafe_name": _(
        "The archive “%(name)s” contains an unsafe file name (%(member)s): "
        "absolute paths, “..”, backslashes and links are not allowed."
    ),
    "zip_too_many": _("The archive “%(name)s” contains more than %(members)s files."),
    "zip_bomb": _(
        "The archive “%(name)s” unpacks to too much data (at most %(unpacked)s, "
        "compressed at most %(ratio)s times)."
    ),
    "bad_office": _("“%(name)s” is not a valid Office document, or it is damaged."),
}


@dataclass(frozen=True)
class CheckedHomework:
    """An upload that passed ``check_homework``, described from its content."""

    kind: str
    extension: str
    content_type: str
    size: int
    original_name: str


def max_homework_bytes() -> int:
    """Return the largest homework file accepted (STUDENT_HOMEWORK_MAX_BYTES)."""
    return settings.STUDENT_HOMEWORK_MAX_BYTES


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
    name = display_name(upload.name)
    try:
        return _check(upload, name)
    finally:
        upload.seek(0)


def display_name(name: str | None) -> str:
    """Return the client's file name made safe to show (see crm.private_files)."""
    return _display_name(name, fallback=_NAME_FALLBACK, max_length=_NAME_MAX_LENGTH)


def _check(upload: UploadedFile, name: str) -> CheckedHomework:
    limit = max_homework_bytes()
    if upload.size is not None and upload.size > limit:
        raise _error("too_large", name)
    upload.seek(0)
    head = upload.read(_CHUNK)
    if not head:
        raise _error("empty", name)
    size = _measure(upload, limit, name)

    kind = _sniff(head)
    if kind == "pdf":
        _check_pdf(upload, size, name)
    elif kind in _PILLOW_FORMATS:
        _check_image(upload, kind, name)
    elif kind == "zip":
        kind = _check_zip(upload, name)
    elif kind == "ole":
        kind = _check_ole(upload, name)
    elif _is_utf8_text(upload):
        kind = "text"
    else:
        raise _error("bad_type", name)

    extension, content_type = KINDS[kind]
    if kind == "text":
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix in TEXT_EXTENSIONS:
            extension = suffix
    return CheckedHomework(
        kind=kind,
        extension=extension,
        content_type=content_type,
        size=size,
        original_name=name,
    )


def _measure(upload: UploadedFile, limit: int, name: str) -> int:
    """Return the real size, reading at most ``limit + 1`` bytes."""
    upload.seek(0)
    size = 0
    while size <= limit:
        chunk = upload.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
    if size > limit:
        raise _error("too_large", name)
    return size


def _sniff(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _check_pdf(upload: UploadedFile, size: int, name: str) -> None:
    upload.seek(max(0, size - 1024))
    if _PDF_END not in upload.read(1024):
        raise _error("bad_pdf", name)


def _check_image(upload: UploadedFile, kind: str, name: str) -> None:
    formats = _PILLOW_FORMATS[kind]
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload, formats=[formats[0]]) as image:
                if image.format not in formats:
                    raise _error("bad_image", name)
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _error("too_many_pixels", name)
                image.verify()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _error("too_many_pixels", name) from None
        except Exception:  # noqa: BLE001
            # Pillow raises many exception types on hostile input (OSError,
            # SyntaxError, struct.error, ...); each means a bad image here.
            raise _error("bad_image", name) from None


def _check_zip(upload: UploadedFile, name: str) -> str:
    """Check the archive's directory; return "zip", "docx", "xlsx" or "pptx"."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _error("bad_zip", name) from None
    check_zip_members(members, name=name)
    names = {member.filename for member in members}
    if "[Content_Types].xml" in names:
        for part, kind in _OOXML_PARTS:
            if part in names:
                return kind
    return "zip"


def check_zip_members(members: list[zipfile.ZipInfo], *, name: str) -> None:
    """Raise ValidationError if an archive's members are unsafe or a bomb."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise _error("zip_too_many", name)
    total = 0
    for member in members:
        # orig_filename: zipfile cuts the name at a NUL byte, other tools may not.
        raw_name = member.orig_filename
        if _unsafe_member_name(raw_name) or _is_link(member):
            raise _error("zip_unsafe_name", name, member=display_name(raw_name)[:80])
        total += member.file_size
        if total > MAX_ZIP_UNCOMPRESSED_BYTES:
            raise _error("zip_bomb", name)
        if (
            member.file_size > ZIP_RATIO_MIN_BYTES
            and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
        ):
            raise _error("zip_bomb", name)
    # Members whose data overlap let a small archive unpack to a huge size
    # without any single member looking suspicious.
    previous_end = -1
    for member in sorted(members, key=lambda m: m.header_offset):
        if member.header_offset < previous_end:
            raise _error("zip_bomb", name)
        previous_end = member.header_offset + 30 + member.compress_size


def _unsafe_member_name(filename: str) -> bool:
    if not filename or "\\" in filename or filename.startswith("/"):
        return True
    if _DRIVE.match(filename):
        return True
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in filename):
        return True
    return any(part == ".." for part in filename.split("/"))


def _is_link(member: zipfile.ZipInfo) -> bool:
    mode = member.external_attr >> 16
    return member.create_system == 3 and stat.S_ISLNK(mode)


def _check_ole(upload: UploadedFile, name: str) -> str:
    """Return "doc", "xls" or "ppt" from the compound file's directory names."""
    upload.seek(0)
    data = upload.read()
    for stream, kind in _OLE_STREAMS:
        # Directory entries hold the name in UTF-16LE followed by a NUL char.
        if (stream + "\0").encode("utf-16-le") in data:
            return kind
    raise _error("bad_office", name)


def _is_utf8_text(upload: UploadedFile) -> bool:
    upload.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        while chunk := upload.read(_CHUNK):
            if b"\0" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _error(code: str, name: str, **params) -> ValidationError:
    return ValidationError(
        _MESSAGES[code],
        code=code,
        params={
            "name": name,
            "limit": _megabytes(max_homework_bytes()),
            "megapixels": f"{MAX_IMAGE_PIXELS / 1_000_000:g}",
            "members": MAX_ZIP_MEMBERS,
            "unpacked": _megabytes(MAX_ZIP_UNCOMPRESSED_BYTES),
            "ratio": MAX_ZIP_RATIO,
            "member": "",
            **params,
        },
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"

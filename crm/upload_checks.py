"""The one upload checker: what an uploaded file is, read from its content.

The file name and the Content-Type header both come from the uploader, so
neither decides anything here. Each use of uploads declares an
``UploadPolicy`` (the kinds it allows, its size limit, the extension each kind
is stored with) and calls ``check_upload``, which runs, in this order:

1. the size: the declared size first, then the real one, measured by reading
   at most ``max_bytes + 1`` bytes; an empty file is refused;
2. the kind, sniffed from the first bytes (magic numbers); a file with no
   known magic is text when the policy allows text;
3. the check of that kind, the same for every policy:

   * PDF: starts with ``%PDF-``, ends with ``%%EOF`` (in its last kilobyte),
     holds no HTML markup in its first kilobyte (browsers sniff for it);
   * images (JPEG, PNG, GIF): no markup in the first kilobyte; the pixel count
     from the header against ``UPLOAD_MAX_IMAGE_PIXELS`` before a single pixel
     is decoded; ``verify()``; then ``load()`` from a fresh open, so a
     truncated or corrupt image is refused; Pillow's decompression-bomb
     warnings are errors;
   * zip archives, inspected through ``zipfile``'s central directory only
     (nothing is extracted): no absolute names, drive letters, ``..``
     components, backslashes, control characters or symlinks; at most
     ``MAX_ZIP_MEMBERS`` members, ``MAX_ZIP_UNCOMPRESSED_BYTES`` in total, no
     member compressed more than ``MAX_ZIP_RATIO`` times, no overlapping
     members (the trick of "non-recursive" zip bombs). docx / xlsx / pptx are
     zip containers holding ``[Content_Types].xml`` and their main part;
   * legacy Office documents (doc / xls / ppt): OLE compound files whose
     directory names the Word, Excel or PowerPoint stream;
   * text: UTF-8 (or another of the policy's ``text_encodings``) without NUL
     bytes.

The stored extension comes from the policy only: per kind, and for text the
client's extension only when it is in the policy's allow-list of harmless text
extensions (``SAFE_TEXT_EXTENSIONS``), else the text kind's (``.txt``). The
client's name survives only as a label (``crm.private_files.display_name``).

The declared sizes of zip members can lie; the limits keep a truthful archive
small, and nothing in this project extracts archives.
"""

from __future__ import annotations

import codecs
import re
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image

from crm.private_files import display_name

MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
# Small members may compress extremely well (a file of blanks) and harm nobody.
ZIP_RATIO_MIN_BYTES = 1024 * 1024

# The Content-Type of each kind this checker recognises.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "text": "text/plain; charset=utf-8",
}

# Extensions a text upload may keep on disk: source and data formats that no
# web server runs and no browser renders as a page, whatever its
# configuration. Deliberately absent (and stored as ".txt"): .php .phtml .html
# .htm .shtml .js .mjs .sh .bash .bat .cmd .ps1 .pl .rb .cgi .asp .aspx .jsp
# .svg .xml and anything not listed.
SAFE_TEXT_EXTENSIONS = frozenset(
    {
        ".txt",
        ".md",
        ".rst",
        ".log",
        ".py",
        ".ipynb",
        ".java",
        ".kt",
        ".scala",
        ".gradle",
        ".c",
        ".h",
        ".cpp",
        ".cc",
        ".hpp",
        ".cs",
        ".go",
        ".rs",
        ".swift",
        ".r",
        ".m",
        ".css",
        ".sql",
        ".json",
        ".csv",
        ".tsv",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
    }
)

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
# The kinds a sniffed container may turn out to be.
_FAMILIES = {
    "zip": ("zip", "docx", "xlsx", "pptx"),
    "ole": ("doc", "xls", "ppt"),
}
# The Pillow plugin to open each image kind with, then the formats it may
# report: a camera JPEG holding several pictures opens as MPO.
_PILLOW_FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",), "gif": ("GIF",)}
# OOXML main parts -> the document kind.
_OOXML_PARTS = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
)
# Stream names in an OLE directory (UTF-16LE, NUL-terminated) -> the kind.
_OLE_STREAMS = tuple(
    ((stream + "\0").encode("utf-16-le"), kind)
    for stream, kind in (
        ("WordDocument", "doc"),
        ("Workbook", "xls"),
        ("Book", "xls"),
        ("PowerPoint Document", "ppt"),
    )
)
# Browsers sniff the start of a file for markup; a file that would render as a
# page there is refused whatever else it is.
_SNIFF_BYTES = 1024
_MARKUP = (b"<html", b"<script", b"<!doctype html")
_PDF_END = b"%%EOF"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024

_MESSAGES = {
    "too_large": _("“%(name)s” is larger than %(limit)s."),
    "empty": _("“%(name)s” is empty."),
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
class UploadPolicy:
    """What one use of uploads accepts, and how the accepted files are stored.

    ``kinds`` maps each allowed kind (a key of ``CONTENT_TYPES``) to the
    extension it is stored with. ``max_bytes`` is a number, or a callable read
    at check time (for a limit that is a setting). ``text_extensions`` are the
    client extensions a text upload keeps; any other gets ``kinds["text"]``.
    ``bad_type_message`` names what the use accepts, with ``%(name)s``.
    ``text_encodings`` are the encodings a text upload may be in, tried in
    order (UTF-8 only by default; a spreadsheet import also takes GB 18030,
    the superset of the GBK that Chinese Excel writes CSV in).
    """

    kinds: Mapping[str, str]
    max_bytes: int | Callable[[], int]
    bad_type_message: str | Promise
    text_extensions: frozenset[str] = frozenset()
    name_fallback: str = "file"
    name_max_length: int = 100
    text_encodings: tuple[str, ...] = ("utf-8",)

    def __post_init__(self):
        unknown = set(self.kinds) - set(CONTENT_TYPES)
        if unknown:
            raise ValueError(f"Unknown upload kinds: {sorted(unknown)}")
        if not self.text_extensions <= SAFE_TEXT_EXTENSIONS:
            raise ValueError("text_extensions must come from SAFE_TEXT_EXTENSIONS")

    def limit(self) -> int:
        """Return the largest file accepted, in bytes."""
        return self.max_bytes() if callable(self.max_bytes) else self.max_bytes

    @property
    def stored_extensions(self) -> frozenset[str]:
        """Return every extension a file accepted by this policy is stored with."""
        return frozenset(self.kinds.values()) | self.text_extensions

    def display_name(self, name: str | None) -> str:
        """Return the client's file name made safe to show."""
        return display_name(
            name, fallback=self.name_fallback, max_length=self.name_max_length
        )


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed ``check_upload``, described from its content."""

    kind: str
    extension: str
    content_type: str
    size: int
    original_name: str
    # The text's encoding, one of the policy's text_encodings ("" if not text).
    encoding: str = ""


def max_image_pixels() -> int:
    """Return the most pixels an uploaded image may have (UPLOAD_MAX_IMAGE_PIXELS).

    Checking an image decodes it once, at about 4 bytes a pixel (RGBA, CMYK,
    32-bit modes; 3 for RGB, 1 for greyscale), so the cap bounds the memory
    one upload takes: 24 megapixels, the default, about 96 MB. The cap is
    applied to the size in the header, before anything is decoded.
    """
    return settings.UPLOAD_MAX_IMAGE_PIXELS


def check_upload(upload: UploadedFile, policy: UploadPolicy) -> CheckedUpload:
    """Return what ``upload`` is; raise ValidationError unless ``policy`` allows it.

    Error codes: "too_large", "empty", "bad_type", "bad_pdf", "bad_image",
    "too_many_pixels", "bad_zip", "zip_unsafe_name", "zip_too_many",
    "zip_bomb", "bad_office". The upload is rewound before this returns or
    raises, ready to be saved.
    """
    name = policy.display_name(upload.name)
    try:
        return _check(upload, policy, name)
    finally:
        upload.seek(0)


def _check(upload: UploadedFile, policy: UploadPolicy, name: str) -> CheckedUpload:
    limit = policy.limit()
    # Refuse an oversized file before reading it; the read is bounded as well
    # in case the declared size is wrong.
    if upload.size is not None and upload.size > limit:
        raise _error("too_large", name, policy)
    upload.seek(0)
    head = upload.read(_CHUNK)
    if not head:
        raise _error("empty", name, policy)
    size = measure(upload, limit)
    if size > limit:
        raise _error("too_large", name, policy)

    kind = sniff(head)
    if kind is None and "text" in policy.kinds:
        kind = "text"
    if kind is None or not set(_FAMILIES.get(kind, (kind,))) & set(policy.kinds):
        raise _error("bad_type", name, policy)
    encoding = ""
    try:
        if kind == "text":
            encoding = check_text(upload, policy.text_encodings)
        else:
            kind = _check_kind(upload, kind, head, size)
    except _Refused as refused:
        raise _error(refused.code, name, policy, member=refused.member) from None
    if kind not in policy.kinds:
        # A container of another kind than the policy allows.
        raise _error("bad_type", name, policy)

    extension = policy.kinds[kind]
    if kind == "text":
        suffix = PurePosixPath(name).suffix.lower()
        if suffix in policy.text_extensions:
            extension = suffix
    return CheckedUpload(
        kind=kind,
        extension=extension,
        content_type=CONTENT_TYPES[kind],
        size=size,
        original_name=name,
        encoding=encoding,
    )


def _check_kind(upload: UploadedFile, kind: str, head: bytes, size: int) -> str:
    """Run the check of ``kind``; return the kind refined (zip -> docx ...)."""
    if kind == "pdf":
        check_pdf(upload, head, size)
    elif kind in _PILLOW_FORMATS:
        check_image(upload, kind, head)
    elif kind == "zip":
        kind = check_zip(upload)
    elif kind == "ole":
        kind = check_ole(upload)
    return kind


class _Refused(Exception):
    """A building block's refusal: the error code, turned into a message later."""

    def __init__(self, code: str, member: str = ""):
        super().__init__(code)
        self.code = code
        self.member = member


# --- building blocks -----------------------------------------------------------
# Each raises _Refused(code); check_upload turns that into the ValidationError
# that names the file and the policy's limits.


def measure(upload: UploadedFile, limit: int) -> int:
    """Return the real size of ``upload``, reading at most ``limit + 1`` bytes."""
    upload.seek(0)
    size = 0
    while size <= limit:
        chunk = upload.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
    return size


def sniff(head: bytes) -> str | None:
    """Return the kind (or container: "zip", "ole") the magic bytes announce."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def has_markup(head: bytes) -> bool:
    """Return True if a browser sniffing ``head`` could take it for HTML."""
    start = head[:_SNIFF_BYTES].lower()
    return any(sign in start for sign in _MARKUP)


def check_pdf(upload: UploadedFile, head: bytes, size: int) -> None:
    """Refuse a PDF with markup up front or without its end marker at the end."""
    if has_markup(head):
        raise _Refused("bad_pdf")
    upload.seek(max(0, size - 1024))
    if _PDF_END not in upload.read(1024):
        raise _Refused("bad_pdf")


def check_image(upload: UploadedFile, kind: str, head: bytes) -> None:
    """Refuse an image that is too large, truncated, corrupt or disguised."""
    if has_markup(head):
        raise _Refused("bad_image")
    formats = _PILLOW_FORMATS[kind]
    cap = max_image_pixels()
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; here any
        # decompression bomb is refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload, formats=[formats[0]]) as image:
                if image.format not in formats:
                    raise _Refused("bad_image")
                # The header's size, checked before a single pixel is decoded.
                width, height = image.size
                if width * height > cap:
                    raise _Refused("too_many_pixels")
                image.verify()
            # verify() leaves the image unusable and does not decode, so a
            # truncated file only shows up when loaded from a fresh open.
            upload.seek(0)
            with Image.open(upload, formats=[formats[0]]) as image:
                image.load()
        except _Refused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _Refused("too_many_pixels") from None
        except Exception:  # noqa: BLE001
            # As in Django's ImageField.to_python: Pillow's decoders raise many
            # exception types (OSError, SyntaxError, struct.error, ...) on
            # hostile input, and each means the same thing here.
            raise _Refused("bad_image") from None


def check_zip(upload: UploadedFile) -> str:
    """Check the archive's directory; return "zip", "docx", "xlsx" or "pptx"."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _Refused("bad_zip") from None
    _check_zip_members(members)
    names = {member.filename for member in members}
    if "[Content_Types].xml" in names:
        for part, kind in _OOXML_PARTS:
            if part in names:
                return kind
    return "zip"


def check_zip_members(members: list[zipfile.ZipInfo], *, name: str) -> None:
    """Raise ValidationError if an archive's members are unsafe or a bomb."""
    try:
        _check_zip_members(members)
    except _Refused as refused:
        raise _error(refused.code, name, None, member=refused.member) from None


def _check_zip_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise _Refused("zip_too_many")
    total = 0
    for member in members:
        # orig_filename: zipfile cuts the name at a NUL byte, other tools may not.
        raw_name = member.orig_filename
        if _unsafe_member_name(raw_name) or _is_link(member):
            shown = display_name(raw_name, fallback="?", max_length=80)
            raise _Refused("zip_unsafe_name", member=shown)
        total += member.file_size
        if total > MAX_ZIP_UNCOMPRESSED_BYTES:
            raise _Refused("zip_bomb")
        if (
            member.file_size > ZIP_RATIO_MIN_BYTES
            and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
        ):
            raise _Refused("zip_bomb")
    # Members whose data overlap let a small archive unpack to a huge size
    # without any single member looking suspicious.
    previous_end = -1
    for member in sorted(members, key=lambda m: m.header_offset):
        if member.header_offset < previous_end:
            raise _Refused("zip_bomb")
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


def check_ole(upload: UploadedFile) -> str:
    """Return "doc", "xls" or "ppt" from the compound file's directory names."""
    upload.seek(0)
    # Read in chunks, keeping the tail of the previous one, so a name split
    # between two chunks is still found and memory stays at one chunk.
    overlap = max(len(stream) for stream, _kind in _OLE_STREAMS) - 1
    found = set()
    tail = b""
    while chunk := upload.read(_CHUNK):
        window = tail + chunk
        found.update(kind for stream, kind in _OLE_STREAMS if stream in window)
        tail = window[-overlap:]
    for _stream, kind in _OLE_STREAMS:
        if kind in found:
            return kind
    raise _Refused("bad_office")


def check_text(upload: UploadedFile, encodings: tuple[str, ...] = ("utf-8",)) -> str:
    """Return the first of ``encodings`` ``upload`` decodes in, without NUL bytes.

    Refuse anything else. The file is read once per encoding tried, in
    chunks (memory does not grow with it).
    """
    for encoding in encodings:
        upload.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            while chunk := upload.read(_CHUNK):
                if b"\0" in chunk:
                    raise _Refused("bad_type")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _Refused("bad_type")


def _error(
    code: str, name: str, policy: UploadPolicy | None, **params
) -> ValidationError:
    if code == "bad_type" and policy is not None:
        message = policy.bad_type_message
    else:
        message = _MESSAGES[code]
    return ValidationError(
        message,
        code=code,
        params={
            "name": name,
            "limit": _megabytes(policy.limit()) if policy is not None else "",
            "megapixels": f"{max_image_pixels() / 1_000_000:g}",
            "members": MAX_ZIP_MEMBERS,
            "unpacked": _megabytes(MAX_ZIP_UNCOMPRESSED_BYTES),
            "ratio": MAX_ZIP_RATIO,
            "member": "",
            **params,
        },
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"

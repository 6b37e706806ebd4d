"""Uploaded files: names safe to show, and responses that serve them safely.

Uploads (ID documents, homework) live in the private MEDIA_ROOT and reach a
browser only through access-checked views that use ``private_file_response``.
"""

import re
import unicodedata

from django.http import FileResponse, HttpResponse

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_PATH_SEPARATORS = re.compile(r"[/\\]")


def display_name(
    name: str | None, *, fallback: str = "file", max_length: int = 100
) -> str:
    """Return the client's file name made safe to show: base name, printable.

    Control and format characters (including the right-to-left override that
    disguises extensions) are removed, any path is dropped, and a long name is
    shortened keeping its extension. Never used as a storage path.
    """
    visible = "".join(
        char
        for char in name or ""
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    base = _PATH_SEPARATORS.split(visible)[-1].strip()
    if base in {"", ".", ".."}:
        return fallback
    if len(base) > max_length:
        stem, dot, suffix = base.rpartition(".")
        if stem and dot and len(suffix) <= 10:
            keep = max_length - len(suffix) - 1
            base = f"{stem[:keep].rstrip()}.{suffix}"
        else:
            base = base[:max_length].rstrip()
    return base or fallback


def protect_download(response: HttpResponse) -> HttpResponse:
    """Add the headers every private file download carries."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def private_file_response(
    file, *, filename: str, content_type: str, as_attachment: bool = True
) -> FileResponse:
    """Return a stored upload as a response the browser will not run as a page."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    return protect_download(response)

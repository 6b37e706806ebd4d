"""Export a list of rows as CSV or XLSX downloads.

Both formats stream: CSV rows are produced as the client reads them, and the
XLSX workbook is written in openpyxl's write-only mode to a temporary file, so
memory stays flat however many rows the list page exports.

openpyxl is optional (``pip install kingadmin[xlsx]``): it is imported only when
an XLSX file is written, and :func:`xlsx_available` tells whether it can be.

Every cell goes through :func:`neutralize` so that text a user typed into the
CRM cannot run as a spreadsheet formula when the file is opened (CWE-1236).
"""

import csv
import datetime
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SHEET_TITLE = _("Export")

# Excel, LibreOffice and Google Sheets start a formula (or DDE call) on these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Values exported as they are; anything else is exported as its text.
_KEPT_TYPES = (
    str,
    bool,
    int,
    float,
    Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
)
_CSV_CHUNK_CHARS = 64 * 1024
_SHEET_TITLE_MAX_CHARS = 31
_ASCII_FALLBACK_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._ -]+")
_ASCII_FALLBACK_STEM = "export"


def neutralize(value: object) -> object:
    """Return ``value`` safe to open in a spreadsheet.

    A string starting with ``= + - @``, a tab or a carriage return gets a leading
    apostrophe so it is shown as text instead of being evaluated as a formula.
    ``None`` becomes ``""``; numbers, dates and other non-strings are returned
    unchanged, so they stay numeric. A *string* such as ``"-5"`` or
    ``"+86 138..."`` is text and is neutralized too.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def content_disposition(filename: str) -> str:
    """Return an ``attachment`` Content-Disposition header value for ``filename``.

    ASCII names are quoted as ``filename="..."``. Other names are sent as an RFC
    5987 ``filename*=utf-8''...`` parameter preceded by an ASCII ``filename=``
    fallback for clients that do not understand ``filename*``.
    """
    header = content_disposition_header(True, filename)
    if "filename*=" not in header:
        return header
    disposition, encoded = header.split("; ", 1)
    return f'{disposition}; filename="{_ascii_fallback(filename)}"; {encoded}'


def csv_response(
    *,
    filename: str,
    headers: list[str],
    rows: Iterable[Sequence[object]],
) -> StreamingHttpResponse:
    """Return a streaming CSV download of ``headers`` followed by ``rows``.

    The body is UTF-8 with a byte order mark, so Excel reads Chinese text
    correctly. ``rows`` is consumed lazily while the response is sent: pass a
    generator or ``QuerySet.iterator()`` to keep memory flat.
    """
    # The body is produced after the view returns, when middleware may already
    # have deactivated the request's time zone: capture it now.
    zone = timezone.get_current_timezone()
    header_row = [_csv_value(header, zone) for header in headers]
    response = StreamingHttpResponse(
        _csv_chunks(header_row, rows, zone), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition(filename)
    return response


def xlsx_available() -> bool:
    """Return whether XLSX files can be written: is openpyxl installed?"""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def xlsx_response(
    *,
    filename: str,
    headers: list[str],
    rows: Iterable[Sequence[object]],
    sheet_title: str | Promise = DEFAULT_SHEET_TITLE,
) -> FileResponse:
    """Return an XLSX download of ``headers`` (in bold) followed by ``rows``.

    The workbook is written in write-only mode to a temporary file on disk, which
    the response streams and then closes (deleting it). Raise
    ``ImproperlyConfigured`` when openpyxl is not installed.
    """
    file = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it.
    try:
        write_xlsx(file, headers=headers, rows=rows, sheet_title=sheet_title)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = FileResponse(file, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return response


def write_xlsx(
    file,
    *,
    headers: list[str],
    rows: Iterable[Sequence[object]],
    sheet_title: str | Promise = DEFAULT_SHEET_TITLE,
) -> None:
    """Write an XLSX workbook of ``headers`` (bold) and ``rows`` to binary ``file``.

    Write-only mode: memory stays flat however many rows. Raise
    ``ImproperlyConfigured`` when openpyxl is not installed.
    """
    _require_openpyxl()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(header, ILLEGAL_CHARACTERS_RE))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_value(value, ILLEGAL_CHARACTERS_RE) for value in row])
    workbook.save(file)


def write_csv(file, *, headers: list[str], rows: Iterable[Sequence[object]]) -> None:
    """Write the CSV of ``headers`` and ``rows`` to binary ``file`` (as downloaded).

    The same bytes as :func:`csv_response`'s body: UTF-8 with a byte order mark,
    formulas neutralized, times in the current time zone.
    """
    zone = timezone.get_current_timezone()
    header_row = [_csv_value(header, zone) for header in headers]
    for chunk in _csv_chunks(header_row, rows, zone):
        file.write(chunk.encode("utf-8"))


def _require_openpyxl() -> None:
    """Raise ``ImproperlyConfigured`` unless openpyxl can be imported."""
    if not xlsx_available():
        raise ImproperlyConfigured(
            "XLSX export needs openpyxl, which is not installed: "
            "pip install kingadmin[xlsx] (or pip install openpyxl)."
        )


class _Echo:
    """Hand back what ``csv.writer`` writes instead of storing it."""

    def write(self, value: str) -> str:
        """Return ``value`` unchanged."""
        return value


def _csv_chunks(
    header_row: list[object],
    rows: Iterable[Sequence[object]],
    zone: datetime.tzinfo,
) -> Iterator[str]:
    """Yield the CSV text in chunks of roughly ``_CSV_CHUNK_CHARS`` characters."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header_row)
    # One chunk per row would mean one socket write per row; batch them instead.
    chunk: list[str] = []
    size = 0
    for row in rows:
        line = writer.writerow([_csv_value(value, zone) for value in row])
        chunk.append(line)
        size += len(line)
        if size >= _CSV_CHUNK_CHARS:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


def _csv_value(value: object, zone: datetime.tzinfo) -> object:
    """Return ``value`` as ``csv.writer`` should write it, in time zone ``zone``."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralize(_as_native_or_text(value))


def _xlsx_value(value: object, illegal_characters: re.Pattern) -> object:
    """Return ``value`` as openpyxl can store it, without ``illegal_characters``."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # Excel has no time zones: store the wall-clock time users work in.
        return timezone.make_naive(timezone.localtime(value))
    value = _as_native_or_text(value)
    if isinstance(value, str):
        # Strip first, so a control character cannot hide a leading "=".
        value = illegal_characters.sub("", value)
    return neutralize(value)


def _as_native_or_text(value: object) -> object:
    """Return ``value`` if spreadsheets store it natively, else its text.

    Stringifying here, before :func:`neutralize`, means an object whose ``str()``
    starts with ``=`` (a model instance, a lazy translation) is neutralized too.
    """
    if value is None or isinstance(value, _KEPT_TYPES):
        return value
    return str(value)


def _sheet_title(title: str | Promise) -> str:
    """Return ``title`` without the characters and length Excel refuses."""
    from openpyxl.workbook.child import INVALID_TITLE_REGEX

    cleaned = INVALID_TITLE_REGEX.sub("", str(title)).strip("' ")
    cleaned = cleaned[:_SHEET_TITLE_MAX_CHARS].strip("' ")
    return cleaned or str(DEFAULT_SHEET_TITLE)[:_SHEET_TITLE_MAX_CHARS]


def _ascii_fallback(filename: str) -> str:
    """Return an ASCII-only approximation of ``filename``, keeping its extension."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    stem, extension = _ascii_only(stem).strip(" ._-"), _ascii_only(extension)
    stem = stem or _ASCII_FALLBACK_STEM
    return f"{stem}.{extension}" if extension else stem


def _ascii_only(text: str) -> str:
    """Return ``text`` in ASCII: accents and other scripts dropped, "_" for unsafe."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return _ASCII_FALLBACK_UNSAFE_RE.sub("_", ascii_text)

"""Reading a spreadsheet of leads: .xlsx or CSV, streamed, bounded (issue 17).

The first step of a lead import: the upload goes through the one upload
checker (``IMPORT_FILE``: an .xlsx workbook, or CSV text in UTF-8 or GB 18030
(GBK), at most ``LEADS_IMPORT_MAX_BYTES``), then ``sheet_rows`` yields its
rows one at a time, each a list of cell texts with its row number in the
sheet. Nothing holds the whole sheet: the workbook is read with openpyxl's
read-only (streaming) reader, the CSV through an incremental decoder.

What a cell holds is text, never a formula: a formula cell (``=SUM(...)``,
or a CSV cell starting with ``=``, ``+``, ``-``, ``@`` followed by a letter
or a parenthesis, as spreadsheets read them) is reported as a ``FORMULA``
cell for the preview to mark as an error; its cached result is not trusted.
Past ``LEADS_IMPORT_MAX_ROWS`` data rows, reading stops with an error.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.upload_checks import CheckedUpload, UploadPolicy, check_upload

# A cell that held a formula: never imported, marked in the preview.
FORMULA = object()
# CSV cells spreadsheets would run as formulas ("=1+1", "+A1", "@SUM(", "-A1").
_CSV_FORMULA = re.compile(r"^[=+@-]\s*[A-Za-z(]|^=")


def _max_bytes() -> int:
    return settings.LEADS_IMPORT_MAX_BYTES


IMPORT_FILE = UploadPolicy(
    kinds={"xlsx": ".xlsx", "text": ".csv"},
    max_bytes=_max_bytes,
    bad_type_message=gettext_lazy("“%(name)s” is not an Excel (.xlsx) or CSV file."),
    text_extensions=frozenset({".csv"}),
    name_fallback="leads",
    text_encodings=("utf-8", "gb18030"),
)


@dataclass(frozen=True)
class Row:
    """One data row: its number in the sheet (1 is the header) and its cells."""

    number: int
    cells: list


def sheet_check(upload: UploadedFile) -> CheckedUpload:
    """Return what ``upload`` is; raise ValidationError unless it can be read."""
    return check_upload(upload, IMPORT_FILE)


def sheet_rows(upload: UploadedFile, checked: CheckedUpload) -> Iterator[Row]:
    """Yield the rows of a checked upload, the header first (number 1).

    Empty rows are skipped; cells are stripped text ("" for an empty cell) or
    ``FORMULA``. Raise ValidationError for a workbook openpyxl cannot read and
    past the row limit.
    """
    limit = settings.LEADS_IMPORT_MAX_ROWS
    upload.seek(0)
    rows = _xlsx_rows(upload) if checked.kind == "xlsx" else _csv_rows(upload, checked)
    data_rows = 0
    try:
        for number, cells in rows:
            if not any(cell is FORMULA or cell for cell in cells):
                continue
            if number > 1:
                data_rows += 1
                if data_rows > limit:
                    raise ValidationError(
                        _("The file has more than %(limit)s rows; split it.")
                        % {"limit": limit},
                        code="too_many_rows",
                    )
            yield Row(number=number, cells=cells)
    finally:
        rows.close()  # the workbook or the decoder let go while the file is open


def _xlsx_rows(upload: UploadedFile) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(upload, read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook
        raise ValidationError(
            _("This workbook cannot be read: %(error)s")
            % {"error": type(error).__name__},
            code="bad_workbook",
        ) from None
    try:
        if not workbook.worksheets:
            raise ValidationError(_("This workbook has no sheet."), code="no_sheet")
        rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception as error:  # noqa: BLE001 - a sheet damaged past its start
                raise ValidationError(
                    _("This workbook cannot be read: %(error)s")
                    % {"error": type(error).__name__},
                    code="bad_workbook",
                ) from None
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value) -> object:
    """Return a workbook cell as text (dates ISO, whole numbers without .0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return FORMULA if value.startswith("=") else value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        midnight = value.time() == datetime.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, datetime.date | Decimal | int | float):
        return str(value)
    return str(value).strip()


def _csv_rows(
    upload: UploadedFile, checked: CheckedUpload
) -> Iterator[tuple[int, list]]:
    encoding = "utf-8-sig" if checked.encoding == "utf-8" else checked.encoding
    text = io.TextIOWrapper(upload.file, encoding=encoding, newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        for number, values in enumerate(csv.reader(text, dialect), start=1):
            yield (
                number,
                [
                    FORMULA if _CSV_FORMULA.match(value.strip()) else value.strip()
                    for value in values
                ],
            )
    except csv.Error as error:
        raise ValidationError(
            _("This CSV file cannot be read: %(error)s") % {"error": error},
            code="bad_csv",
        ) from None
    finally:
        text.detach()

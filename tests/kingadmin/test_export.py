"""Tests for kingadmin's CSV and XLSX export: what a user's spreadsheet shows."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from kingadmin.export import (
    content_disposition,
    csv_response,
    neutralize,
    xlsx_response,
)

FORMULA_PAYLOADS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
UTC = datetime.UTC
MIDNIGHT_UTC = datetime.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _shanghai_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


# Closing a response sends request_finished, whose close_old_connections
# handler would close the test's database connection; Django's test client
# detaches it during requests, and so do these tests.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_test_connection():
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


def body(response):
    """Return the response body, read the way a client reads it, and close it."""
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def csv_cells(response):
    """Return the parsed CSV rows, checking for the byte order mark Excel needs."""
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def xlsx_sheet(response):
    """Return the only worksheet of the downloaded workbook."""
    workbook = load_workbook(io.BytesIO(body(response)))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def sheet_values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


class Formula:
    """An object (say a model instance) whose text looks like a formula."""

    def __str__(self):
        return "=1+1"


# neutralize ------------------------------------------------------------------


@pytest.mark.parametrize("payload", [*FORMULA_PAYLOADS, "-5", "+86 138 0000 0000"])
def test_text_that_a_spreadsheet_would_evaluate_gets_an_apostrophe(payload):
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize("text", ["张三", "a=b", "1+1", "", "'=already quoted"])
def test_ordinary_text_is_unchanged(text):
    assert neutralize(text) == text


@pytest.mark.parametrize(
    "value",
    [-5, 0, 3.5, Decimal("-1.50"), True, datetime.date(2024, 1, 31), MIDNIGHT_UTC],
)
def test_numbers_and_dates_are_returned_as_they_are(value):
    assert neutralize(value) is value


def test_none_becomes_an_empty_cell():
    assert neutralize(None) == ""


# content_disposition ---------------------------------------------------------


def test_ascii_file_name_is_a_plain_quoted_attachment():
    assert (
        content_disposition("customers.csv") == 'attachment; filename="customers.csv"'
    )


def test_quotes_in_a_file_name_are_escaped():
    assert content_disposition('a"b.csv') == r'attachment; filename="a\"b.csv"'


def test_chinese_file_name_has_an_ascii_fallback_and_an_rfc5987_name():
    header = content_disposition("客户列表 2024.xlsx")

    header.encode("latin-1")  # Only latin-1 is valid in an HTTP header.
    disposition, fallback, encoded = header.split("; ")
    assert disposition == "attachment"
    assert fallback == 'filename="2024.xlsx"'
    assert encoded.startswith("filename*=utf-8''")
    assert unquote(encoded.removeprefix("filename*=utf-8''")) == "客户列表 2024.xlsx"


def test_all_chinese_file_name_falls_back_to_a_generic_ascii_name():
    assert 'filename="export.csv"' in content_disposition("客户.csv")


def test_line_breaks_in_a_file_name_cannot_inject_headers():
    header = content_disposition("a\r\nSet-Cookie: x=1.csv")

    assert "\r" not in header
    assert "\n" not in header
    assert 'filename="a_Set-Cookie_ x_1.csv"' in header


# csv_response ----------------------------------------------------------------


def test_csv_download_has_headers_excel_understands():
    response = csv_response(filename="客户.csv", headers=["姓名"], rows=[])

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == content_disposition("客户.csv")
    assert "filename*=utf-8''%E5%AE%A2%E6%88%B7.csv" in response["Content-Disposition"]
    assert csv_cells(response) == [["姓名"]]


def test_csv_cells_read_back_as_the_values_exported():
    response = csv_response(
        filename="customers.csv",
        headers=["姓名", "QQ", "余额", "生日", "备注"],
        rows=[
            ["张三", 123456, Decimal("-12.50"), datetime.date(1990, 5, 1), None],
            ['含逗号, 和"引号"', 0, 3.5, None, "多行\n备注"],
        ],
    )

    assert csv_cells(response) == [
        ["姓名", "QQ", "余额", "生日", "备注"],
        ["张三", "123456", "-12.50", "1990-05-01", ""],
        ['含逗号, 和"引号"', "0", "3.5", "", "多行\n备注"],
    ]


def test_csv_formula_payloads_come_back_as_text_while_numbers_stay_numbers():
    response = csv_response(
        filename="x.csv",
        headers=["=header"],
        rows=[[*FORMULA_PAYLOADS, "-5", -5, Decimal("-1.5"), Formula()]],
    )

    header, row = csv_cells(response)
    assert header == ["'=header"]
    assert row == [
        *("'" + payload for payload in FORMULA_PAYLOADS),
        "'-5",
        "-5",
        "-1.5",
        "'=1+1",
    ]


def test_csv_aware_datetimes_are_written_in_shanghai_local_time():
    response = csv_response(
        filename="x.csv",
        headers=["created"],
        rows=[
            [MIDNIGHT_UTC.replace(microsecond=123456)],
            [datetime.datetime(2024, 1, 1, 9, 30)],  # Naive: written as it is.
        ],
    )

    assert csv_cells(response)[1:] == [["2024-01-01 08:00:00"], ["2024-01-01 09:30:00"]]


def test_csv_uses_the_time_zone_active_when_the_response_was_made():
    with timezone.override("Europe/London"):
        response = csv_response(filename="x.csv", headers=["t"], rows=[[MIDNIGHT_UTC]])

    # The body is read after the view (and its time zone) is gone.
    assert csv_cells(response)[1] == ["2024-01-01 00:00:00"]


def test_csv_lazy_translated_header_is_written_as_text():
    response = csv_response(
        filename="x.csv", headers=[gettext_lazy("Export")], rows=[["a"]]
    )

    assert csv_cells(response)[0] == ["Export"]


def test_csv_streams_a_large_generator_without_materialising_it():
    total = 50_000
    produced = 0

    def rows():
        nonlocal produced
        for number in range(total):
            produced += 1
            yield [number, f"客户{number}"]

    response = csv_response(filename="big.csv", headers=["no", "name"], rows=rows())
    assert produced == 0

    chunks = iter(response.streaming_content)
    first = next(chunks)
    second = next(chunks)
    assert first.startswith("\ufeffno,name\r\n".encode())
    assert second.startswith("0,客户0\r\n".encode())
    assert 0 < produced < total

    rest = b"".join(chunks)
    response.close()
    assert produced == total
    lines = (first + second + rest).decode("utf-8").splitlines()
    assert len(lines) == total + 1
    assert lines[-1] == "49999,客户49999"


# xlsx_response ---------------------------------------------------------------


def test_xlsx_download_has_headers_excel_understands():
    response = xlsx_response(filename="客户列表.xlsx", headers=["姓名"], rows=[])

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == content_disposition("客户列表.xlsx")
    assert int(response["Content-Length"]) > 0
    assert sheet_values(xlsx_sheet(response)) == [["姓名"]]


def test_xlsx_header_row_is_bold_and_data_rows_are_not():
    sheet = xlsx_sheet(
        xlsx_response(filename="x.xlsx", headers=["姓名", "QQ"], rows=[["张三", 1]])
    )

    assert [cell.font.b for cell in sheet[1]] == [True, True]
    assert [cell.font.b for cell in sheet[2]] == [False, False]


def test_xlsx_cells_keep_their_types():
    sheet = xlsx_sheet(
        xlsx_response(
            filename="x.xlsx",
            headers=["int", "negative", "decimal", "float", "date", "none", "bool"],
            rows=[
                [42, -5, Decimal("12.50"), 3.5, datetime.date(2024, 1, 31), None, True]
            ],
        )
    )

    row = sheet_values(sheet)[1]
    assert row[:4] == [42, -5, 12.5, 3.5]
    assert all(isinstance(value, int | float) for value in row[:4])
    assert row[4] == datetime.datetime(2024, 1, 31)  # Excel has no date-only type.
    assert row[5] is None  # "" is written as an empty cell.
    assert row[6] is True
    assert sheet["A2"].data_type == "n"


def test_xlsx_formula_payloads_come_back_as_text_not_formulas():
    response = xlsx_response(
        filename="x.xlsx",
        headers=["=header"],
        rows=[[*FORMULA_PAYLOADS, "-5", -5, Formula()]],
    )

    sheet = xlsx_sheet(response)
    assert sheet["A1"].value == "'=header"
    # XML parsers read a stored "\r" back as "\n"; the apostrophe is what counts.
    assert sheet_values(sheet)[1] == [
        *("'" + payload.replace("\r", "\n") for payload in FORMULA_PAYLOADS),
        "'-5",
        -5,
        "'=1+1",
    ]
    assert {cell.data_type for cell in sheet[2]} == {"s", "n"}
    assert sheet["A2"].data_type == "s"


def test_xlsx_aware_datetimes_are_stored_in_shanghai_local_time_without_tz():
    sheet = xlsx_sheet(
        xlsx_response(
            filename="x.xlsx",
            headers=["created"],
            rows=[[MIDNIGHT_UTC], [datetime.datetime(2024, 1, 1, 9, 30)]],
        )
    )

    assert sheet_values(sheet)[1:] == [
        [datetime.datetime(2024, 1, 1, 8, 0)],
        [datetime.datetime(2024, 1, 1, 9, 30)],
    ]


def test_xlsx_illegal_control_characters_are_dropped_instead_of_crashing():
    sheet = xlsx_sheet(
        xlsx_response(
            filename="x.xlsx",
            headers=["备注\x07"],
            rows=[["响\x07铃\x00", "\x07=1", "line\nbreak\ttab"]],
        )
    )

    assert sheet["A1"].value == "备注"
    assert sheet_values(sheet)[1] == ["响铃", "'=1", "line\nbreak\ttab"]


def test_xlsx_sheet_title_defaults_to_export_and_drops_characters_excel_refuses():
    default = xlsx_sheet(xlsx_response(filename="x.xlsx", headers=["a"], rows=[]))
    custom = xlsx_sheet(
        xlsx_response(
            filename="x.xlsx",
            headers=["a"],
            rows=[],
            sheet_title="客户/列表[2024]?" + "长" * 40,
        )
    )

    assert default.title == "Export"
    assert custom.title == ("客户列表2024" + "长" * 40)[:31]


def test_xlsx_temporary_file_is_closed_with_the_response():
    response = xlsx_response(filename="x.xlsx", headers=["a"], rows=[[1]])
    file = response.file_to_stream

    body(response)

    assert file.closed

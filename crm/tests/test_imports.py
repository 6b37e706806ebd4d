"""Reading lead spreadsheets: the formats schools have, and hostile files.

Each case ends in rows or a clear error, never an exception of another kind;
memory does not grow with the file (streamed reading).
"""

import io
import tracemalloc
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from crm.imports import FORMULA, sheet_check, sheet_rows

HEADER = ["姓名", "手机", "QQ", "来源"]


def upload(content: bytes, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def read(file) -> list[tuple[int, list]]:
    checked = sheet_check(file)
    return [(row.number, row.cells) for row in sheet_rows(file, checked)]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_excel_workbook_reads_as_text_cells():
    content = xlsx(
        [
            HEADER,
            ["张三", 13800138000, "123456", "百度"],
            [None, None, None, None],
            ["李四", "139 0013 9000", 654321.0, datetime(2026, 12, 1)],
            ["王五", '=HYPERLINK("http://x")', "1", "=1+1"],
        ]
    )
    rows = read(upload(content, "名单.xlsx"))
    assert rows == [
        (1, HEADER),
        (2, ["张三", "13800138000", "123456", "百度"]),
        # Row 3 is empty: skipped, the numbers stay those of the sheet.
        (4, ["李四", "139 0013 9000", "654321", "2026-12-01"]),
        (5, ["王五", FORMULA, "1", FORMULA]),
    ]


def test_a_gbk_csv_from_chinese_excel_reads():
    text = "姓名,手机,QQ,来源\r\n张三,13800138000,123456,展会\r\n"
    rows = read(upload(text.encode("gbk")))
    assert rows == [(1, HEADER), (2, ["张三", "13800138000", "123456", "展会"])]


def test_a_utf8_csv_with_a_bom_and_semicolons_reads():
    text = "\ufeff姓名;手机;QQ;来源\n张三;+86 138;123456;QQ群\n"
    rows = read(upload(text.encode("utf-8")))
    assert rows == [(1, HEADER), (2, ["张三", "+86 138", "123456", "QQ群"])]


def test_csv_cells_a_spreadsheet_would_run_are_formulas():
    text = "姓名,手机\n=cmd|' /C calc'!A0,-5\n@SUM(A1),+A2\n"
    assert read(upload(text.encode()))[1:] == [
        (2, [FORMULA, "-5"]),
        (3, [FORMULA, FORMULA]),
    ]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x00\x01\x02\xff" * 100, "leads.csv"),  # binary garbage
        (b"%PDF-1.4\n%%EOF", "leads.xlsx"),  # another kind, named .xlsx
        (b"PK\x03\x04" + b"\x00" * 60, "leads.xlsx"),  # a broken zip
        (b"", "leads.csv"),  # empty
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_clearly(content, name):
    with pytest.raises(ValidationError) as error:
        read(upload(content, name))
    assert error.value.messages[0]


def test_a_file_over_the_size_limit_is_refused_before_reading(settings):
    settings.LEADS_IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        read(upload(b"a,b\n" * 1000))
    assert error.value.code == "too_large"


def test_the_row_limit_stops_reading_with_an_error(settings):
    settings.LEADS_IMPORT_MAX_ROWS = 100
    content = ("姓名,QQ\n" + "".join(f"人{n},{n}\n" for n in range(101))).encode()
    file = upload(content)
    checked = sheet_check(file)
    rows = sheet_rows(file, checked)
    with pytest.raises(ValidationError, match="more than 100 rows"):
        for _row in rows:
            pass


def test_100000_rows_are_read_in_bounded_memory():
    line = "张三丰,13800138000,1234567890,百度推广\n"
    content = ("姓名,手机,QQ,来源\n" + line * 100_000).encode()
    file = upload(content)
    checked = sheet_check(file)
    tracemalloc.start()
    try:
        count = sum(1 for _row in sheet_rows(file, checked))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_001
    # The file itself is 4 MB; reading adds a buffer, not the rows.
    assert peak < 2 * 1024 * 1024, peak


@settings(max_examples=200, deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        st.text(alphabet='张三,"\n\r;\t=+-@1', max_size=300).map(
            lambda t: t.encode("gb18030")
        ),
    ),
    name=st.sampled_from(["leads.csv", "leads.xlsx", "leads"]),
)
def test_any_bytes_give_rows_or_a_clear_error(content, name):
    try:
        rows = read(upload(content, name))
    except ValidationError as error:
        assert error.messages[0]
    else:
        for number, cells in rows:
            assert number >= 1
            assert all(cell is FORMULA or isinstance(cell, str) for cell in cells)

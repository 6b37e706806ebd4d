"""Fuzz the pages of a lead import: the upload, the columns, the choices, the preview.

Whatever is posted or typed into the query string: never a server error.
A refused upload creates no import; a refused mapping or choice changes
nothing; the preview only reads.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from crm.import_preview import FIELDS
from crm.lead_imports import lead_import_start
from crm.models import Customer, LeadImport
from tests.fuzz.strategies import (
    hostile_text,
    query_string,
    random_names,
    raw_query_garbage,
    uploads,
)
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import assert_shows_errors

HEADER = ["姓名", "手机", "QQ", "来源", "备注"]


def _workbook(phone_taken: str) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in (
        ["新人甲", "13812340001", "", "百度推广", ""],
        ["新人乙", "13812340002", "", "", "周末班"],
        ["重复", phone_taken, "", "", ""],
        ["坏号", "12345", "", "", ""],
        ["新人丙", "", "88812340003", "", ""],
    ):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile("名单.xlsx", data.getvalue())


@pytest.fixture
def lead_import(fuzz_db) -> LeadImport:
    taken = Customer.objects.exclude(phone=None).order_by("pk").first().phone
    return lead_import_start(
        upload=_workbook(taken),
        by=fuzz_db.users["manager"],
        consultant=fuzz_db.users["sales_a"],
        default_source="marketing",
    )


def _state(lead_import: LeadImport) -> tuple:
    stored = LeadImport.objects.get(pk=lead_import.pk)
    return (stored.mapping, stored.skipped, stored.state, LeadImport.objects.count())


COLUMN_VALUES = st.one_of(st.sampled_from(["", "0", "1", "2", "3", "4"]), hostile_text)


def test_columns_post(fuzz_db, lead_import):
    manager = fuzz_db.users["manager"]
    url = reverse("crm:lead_import_columns", args=[lead_import.pk])

    @fuzz_settings(40)
    @given(
        data=st.dictionaries(st.sampled_from(FIELDS), COLUMN_VALUES),
        extra=st.dictionaries(random_names, hostile_text, max_size=3),
    )
    def run(data, extra):
        with rolled_back():
            before = _state(lead_import)
            response = client_for(manager).post(url, {**extra, **data})
            if response.status_code == 302:
                mapping = LeadImport.objects.get(pk=lead_import.pk).mapping
                assert set(mapping) <= set(FIELDS)
                assert "phone" in mapping or "qq" in mapping
                assert all(0 <= column < len(HEADER) for column in mapping.values())
                assert len(set(mapping.values())) == len(mapping)
            else:
                assert_shows_errors(response)
                assert _state(lead_import) == before

    run()


def test_choose_post(fuzz_db, lead_import):
    manager = fuzz_db.users["manager"]
    url = reverse("crm:lead_import_choose", args=[lead_import.pk])
    new_rows = {2, 3, 6}

    @fuzz_settings(40)
    @given(
        chosen=st.lists(
            st.one_of(st.sampled_from(["2", "3", "4", "5", "6", "7"]), hostile_text),
            max_size=6,
        ),
        status=st.one_of(st.sampled_from(["new", "error", "duplicate"]), hostile_text),
        page=hostile_text,
        extra=st.dictionaries(random_names, hostile_text, max_size=3),
    )
    def run(chosen, status, page, extra):
        with rolled_back():
            before = _state(lead_import)
            query = query_string([("status", status), ("page", page)])
            response = client_for(manager).post(
                f"{url}?{query}", {**extra, "chosen": chosen}
            )
            assert response.status_code == 302
            after = _state(lead_import)
            # Only the choice of new rows may change, and only to new rows.
            assert after[0] == before[0] and after[2:] == before[2:]
            assert set(after[1]) <= new_rows

    run()


def test_preview_query_string(fuzz_db, lead_import):
    manager = fuzz_db.users["manager"]
    url = reverse("crm:lead_import_preview", args=[lead_import.pk])

    @fuzz_settings(40)
    @given(
        pairs=st.lists(
            st.tuples(st.sampled_from(["status", "page", "p", "o", "q"]), hostile_text),
            max_size=4,
        ),
        garbage=raw_query_garbage,
    )
    def run(pairs, garbage):
        with rolled_back():
            before = _state(lead_import)
            response = client_for(manager).get(f"{url}?{query_string(pairs, garbage)}")
            assert response.status_code == 200
            assert response.context["page"].total == 5
            assert _state(lead_import) == before

    run()


def test_upload_post(fuzz_db):
    manager = fuzz_db.users["manager"]
    sales_a = fuzz_db.users["sales_a"]
    url = reverse("crm:lead_import_new")

    @fuzz_settings(40)
    @given(
        file=uploads,
        consultant=st.one_of(st.just(str(sales_a.pk)), hostile_text),
        source=st.one_of(st.sampled_from(["marketing", "qq_group"]), hostile_text),
        use_rules=st.sampled_from(["", "on", "1", "false", "\x00"]),
    )
    def run(file, consultant, source, use_rules):
        with rolled_back():
            before = LeadImport.objects.count()
            response = client_for(manager).post(
                url,
                {
                    "file": file,
                    "consultant": consultant,
                    "default_source": source,
                    "use_rules": use_rules,
                },
            )
            if response.status_code == 302:
                assert LeadImport.objects.count() == before + 1
            else:
                assert_shows_errors(response)
                assert LeadImport.objects.count() == before

    run()

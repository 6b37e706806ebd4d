"""Exports of a list: the rows the list shows, as CSV (always) or XLSX (openpyxl)."""

import csv
import datetime
import importlib.util
import io
import unittest
from decimal import Decimal

from django.test import TestCase

from kingadmin.tests.factories import (
    make_author,
    make_book,
    make_superuser,
    make_tag,
    make_user,
)
from kingadmin.tests.toy.models import Author

EXPORT = "/admin/toy/book/export/"
HAS_OPENPYXL = importlib.util.find_spec("openpyxl") is not None


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "the CSV starts with a byte order mark"
    return list(csv.reader(io.StringIO(body[1:])))


class ExportTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.hugo = make_author(
            "Victor Hugo", email="hugo@example.fr", country=Author.Country.FRANCE
        )
        classic, novel = make_tag("classic"), make_tag("novel")
        cls.call = make_book(
            "Call to Arms",
            cls.lu,
            isbn="9787000000001",
            price=Decimal("15.00"),
            published=datetime.date(1923, 8, 1),
            tags=[classic],
        )
        cls.miserables = make_book(
            "Les Misérables",
            cls.hugo,
            isbn="9782000000001",
            price=Decimal("18.50"),
            published=None,
            tags=[classic, novel],
        )
        cls.family = make_book(
            "Family", make_author("Ba Jin"), isbn="9787000000003", price=Decimal("30")
        )
        cls.root = make_superuser()

    def setUp(self):
        self.client.force_login(self.root)


class CsvExportTests(ExportTestCase):
    def test_the_csv_holds_the_lists_columns_and_plain_values(self):
        response = self.client.get(EXPORT, {"format": "csv"})

        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="books.csv"'
        )
        self.assertEqual(
            csv_rows(response),
            [
                ["Title", "Author", "ISBN", "Price", "Published", "Tags"],
                [
                    "Call to Arms",
                    "Lu Xun",
                    "9787000000001",
                    "15.00",
                    "1923-08-01",
                    "classic",
                ],
                ["Family", "Ba Jin", "9787000000003", "30.00", "2020-01-01", ""],
                [
                    "Les Misérables",
                    "Victor Hugo",
                    "9782000000001",
                    "18.50",
                    "",
                    "classic, novel",
                ],
            ],
        )

    def test_csv_is_the_default_format(self):
        response = self.client.get(EXPORT)

        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(len(csv_rows(response)), 4)

    def test_the_export_has_the_lists_filters_search_and_sort(self):
        response = self.client.get(
            EXPORT, {"price_band": "dear", "o": "-price", "q": "a"}
        )

        self.assertEqual([row[0] for row in csv_rows(response)[1:]], ["Family"])
        response = self.client.get(EXPORT, {"o": "-price"})
        self.assertEqual(
            [row[0] for row in csv_rows(response)[1:]],
            ["Family", "Les Misérables", "Call to Arms"],
        )

    def test_the_export_is_not_paginated(self):
        for number in range(12):
            make_book(f"Volume {number:02}", self.lu)

        response = self.client.get(EXPORT, {"p": "2"})

        self.assertEqual(len(csv_rows(response)), 16)

    def test_choice_labels_are_exported_not_the_stored_value(self):
        response = self.client.get("/admin/toy/author/export/", {"country": "fr"})

        rows = csv_rows(response)
        self.assertEqual(rows[0], ["Name", "Email", "Country", "Active", "Books"])
        self.assertEqual(rows[1][:3], ["Victor Hugo", "hugo@example.fr", "France"])
        self.assertEqual(rows[1][4], "1")

    def test_a_cell_that_would_run_as_a_formula_is_neutralised(self):
        make_book('=HYPERLINK("http://evil")', self.lu, isbn="9780000000099")

        response = self.client.get(EXPORT, {"q": "HYPERLINK"})

        self.assertEqual(csv_rows(response)[1][0], '\'=HYPERLINK("http://evil")')

    def test_the_export_has_only_the_rows_the_user_may_view(self):
        self.client.force_login(make_user("toy.view_own_books", email="lu@example.com"))

        response = self.client.get(EXPORT)

        self.assertEqual([row[0] for row in csv_rows(response)[1:]], ["Call to Arms"])

    def test_exporting_needs_a_view_rule(self):
        self.client.force_login(make_user("toy.add_book", "toy.change_book"))

        self.assertEqual(self.client.get(EXPORT).status_code, 403)

    def test_an_anonymous_export_is_sent_to_login(self):
        self.client.logout()

        response = self.client.get(EXPORT)

        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_an_unknown_format_is_404(self):
        for fmt in ("pdf", "", "CSV"):
            with self.subTest(format=fmt):
                self.assertEqual(
                    self.client.get(EXPORT, {"format": fmt}).status_code, 404
                )

    def test_a_query_specific_rule_exports_its_filtered_list_only(self):
        make_author("Retired", email="old@example.com", active=False)
        self.client.force_login(make_user("toy.view_active_authors"))

        allowed = self.client.get("/admin/toy/author/export/", {"active": "1"})
        refused = self.client.get("/admin/toy/author/export/")

        self.assertEqual(
            [row[0] for row in csv_rows(allowed)[1:]],
            ["Ba Jin", "Lu Xun", "Victor Hugo"],
        )
        self.assertEqual(refused.status_code, 403)

    def test_the_list_links_to_the_export_with_its_query(self):
        response = self.client.get("/admin/toy/book/", {"price_band": "dear"})

        self.assertContains(
            response, 'href="/admin/toy/book/export/?price_band=dear&amp;format=csv"'
        )


@unittest.skipUnless(HAS_OPENPYXL, "openpyxl is not installed")
class XlsxExportTests(ExportTestCase):
    def workbook(self, response):
        from openpyxl import load_workbook

        return load_workbook(io.BytesIO(b"".join(response.streaming_content)))

    def test_the_xlsx_holds_a_bold_header_and_native_values(self):
        response = self.client.get(EXPORT, {"format": "xlsx", "price_band": "cheap"})

        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="books.xlsx"'
        )
        sheet = self.workbook(response).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(sheet.title, "Books")
        self.assertEqual(
            rows[0], ("Title", "Author", "ISBN", "Price", "Published", "Tags")
        )
        self.assertTrue(sheet["A1"].font.bold)
        self.assertEqual(rows[1][:4], ("Call to Arms", "Lu Xun", "9787000000001", 15))
        self.assertEqual(rows[1][4], datetime.datetime(1923, 8, 1))
        self.assertEqual(rows[2][0], "Les Misérables")
        self.assertEqual(len(rows), 3)

    def test_the_xlsx_neutralises_formulas_too(self):
        make_book("=1+1", self.lu, isbn="9780000000098")

        response = self.client.get(EXPORT, {"format": "xlsx", "q": "1+1"})

        rows = list(self.workbook(response).active.iter_rows(values_only=True))
        self.assertEqual(rows[1][0], "'=1+1")

    def test_the_list_offers_the_xlsx_export(self):
        response = self.client.get("/admin/toy/book/")

        self.assertContains(response, 'href="/admin/toy/book/export/?format=xlsx"')


@unittest.skipIf(HAS_OPENPYXL, "openpyxl is installed")
class WithoutOpenpyxlTests(ExportTestCase):
    def test_the_list_offers_csv_only(self):
        response = self.client.get("/admin/toy/book/")

        self.assertContains(response, 'href="/admin/toy/book/export/?format=csv"')
        self.assertNotContains(response, "format=xlsx")

    def test_an_xlsx_export_is_404_not_a_server_error(self):
        response = self.client.get(EXPORT, {"format": "xlsx"})

        self.assertEqual(response.status_code, 404)

"""The finance report: every figure against a small hand-made ledger history."""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.reports import ReportScope
from finance import ledger
from finance.ledger import entry_append, entry_reverse
from finance.models import LedgerEntry, RefundPolicy
from finance.reports import finance_report
from finance.services import contract_terms_fix, plan_set
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CourseFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)

D = Decimal
KIND = LedgerEntry.Kind
URL = "/finance/reports/"
EXPORT_URL = "/finance/reports/export/"
# March 2025, in the past: receivables are counted on its last day.
PERIOD = {"period": "custom", "since": "2025-03-01", "until": "2025-03-31"}
MARCH = ReportScope(since=date(2025, 3, 1), until=date(2025, 3, 31))


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


class Clock:
    """Write ledger entries at chosen instants (``entry_append`` stamps now)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def at(self, *moment) -> None:
        when = local(*moment)
        self.monkeypatch.setattr(ledger, "timezone", SimpleNamespace(now=lambda: when))

    def add(self, enrollment, moment, kind, amount="0", hours="0"):
        self.at(*moment)
        return entry_append(
            enrollment=enrollment, kind=kind, amount=D(amount), hours=D(hours), by=None
        )

    def reverse(self, entry, moment):
        self.at(*moment)
        return entry_reverse(entry=entry, reason="Recorded by mistake", by=None)


def enrollment_with_terms(clock, *, consultant, class_list, approved, hours):
    enrollment = EnrollmentFactory(
        customer__consultant=consultant,
        class_list=class_list,
        approved=True,
        approved_at=local(*approved),
    )
    clock.at(*approved)
    contract_terms_fix(
        enrollment=enrollment,
        hours=D(hours),
        valid_until=date(2026, 6, 30),
        policy=RefundPolicy.objects.get_or_create(name="Report test policy")[0],
        by=None,
    )
    return enrollment


@pytest.fixture
def history(db, monkeypatch):
    """Two campuses, two enrollments, worked out by hand for March 2025.

    e1 (North, Alice): 12800.00 for 64 h (200.00 an hour). 5000 paid in
    February, 7800 in March, 1000 in April; 2 h used in February, 10.5 h in
    March and 3 h recorded by mistake and corrected; 500 refunded in March.
    e2 (South, Bob): 9000.00 for 64 h (140.625 an hour). 3000 paid at the
    period's first instant, a 2000 payment corrected; 5 h used at its last
    minute, 1 h a minute later; refunds of 300 (corrected) and 200; a plan
    of three 3000 instalments due 20 February, March and April.
    e3 (North): approved in April, after the period: it owed nothing then.
    """
    clock = Clock(monkeypatch)
    north, south = BranchFactory(name="North"), BranchFactory(name="South")
    alice = UserFactory(username="alice", display_name="Alice", campus=north)
    bob = UserFactory(username="bob", display_name="Bob", campus=south)
    python = ClassListFactory(
        name="Python N1", branch=north, course=CourseFactory(price=D("12800.00"))
    )
    java = ClassListFactory(
        name="Java S1", branch=south, course=CourseFactory(price=D("9000.00"))
    )
    e1 = enrollment_with_terms(
        clock, consultant=alice, class_list=python, approved=(2025, 2, 1), hours="64"
    )
    clock.add(e1, (2025, 2, 10), KIND.PAYMENT, amount="5000.00")
    clock.add(e1, (2025, 2, 20), KIND.CONSUMPTION, hours="-2.0")
    clock.add(e1, (2025, 3, 5), KIND.PAYMENT, amount="7800.00")
    clock.add(e1, (2025, 3, 10), KIND.CONSUMPTION, hours="-10.5")
    wrong = clock.add(e1, (2025, 3, 12), KIND.CONSUMPTION, hours="-3.0")
    clock.reverse(wrong, (2025, 3, 13))
    clock.add(e1, (2025, 3, 20), KIND.REFUND, amount="-500.00")
    clock.add(e1, (2025, 4, 2), KIND.PAYMENT, amount="1000.00")

    e2 = enrollment_with_terms(
        clock, consultant=bob, class_list=java, approved=(2025, 2, 15), hours="64"
    )
    plan_set(
        enrollment=e2,
        instalments=[
            (date(2025, 2, 20), D("3000.00")),
            (date(2025, 3, 20), D("3000.00")),
            (date(2025, 4, 20), D("3000.00")),
        ],
        by=None,
    )
    clock.add(e2, (2025, 3, 1, 0, 0), KIND.PAYMENT, amount="3000.00")
    wrong = clock.add(e2, (2025, 3, 15), KIND.PAYMENT, amount="2000.00")
    clock.reverse(wrong, (2025, 3, 16))
    wrong = clock.add(e2, (2025, 3, 18), KIND.REFUND, amount="-300.00")
    clock.reverse(wrong, (2025, 3, 19))
    clock.add(e2, (2025, 3, 25), KIND.REFUND, amount="-200.00")
    clock.add(e2, (2025, 3, 31, 23, 59), KIND.CONSUMPTION, hours="-5.0")
    clock.add(e2, (2025, 4, 1, 0, 0), KIND.CONSUMPTION, hours="-1.0")

    enrollment_with_terms(
        clock, consultant=alice, class_list=python, approved=(2025, 4, 5), hours="64"
    )
    return {"north": north, "south": south, "alice": alice, "bob": bob}


def scope(campus=None) -> ReportScope:
    return ReportScope(
        since=MARCH.since, until=MARCH.until, campus_id=campus.pk if campus else None
    )


def test_cash_counts_payments_and_refunds_with_their_corrections(history):
    assert finance_report(MARCH)["cash"] == {
        "payments": D("10800.00"),  # 7800 + 3000 + 2000 - 2000
        "refunds": D("700.00"),  # 500 + 300 - 300 + 200
        "net": D("10100.00"),
    }


def test_revenue_values_consumed_hours_at_each_contracts_price(history):
    report = finance_report(MARCH)
    # e1: 10.5 h × 200.00 = 2100.00 (the 3 h recorded by mistake cancelled);
    # e2: 5 h × 140.625 = 703.125, half up 703.13. April's hour is outside.
    assert report["revenue"] == {"hours": D("15.5"), "amount": D("2803.13")}
    assert report["difference"] == D("7296.87")


def test_receivables_are_counted_on_the_periods_last_day(history):
    report = finance_report(MARCH)
    assert report["as_of"] == date(2025, 3, 31)
    # e1: 12800 - (5000 + 7800 - 500) = 500 (April's 1000 came later);
    # e2: 9000 - (3000 - 200) = 6200; e3 was approved in April.
    assert report["outstanding"] == {"amount": D("6700.00"), "count": 2}
    # e2 holds 2800: 200 of the February instalment and the March one are due.
    assert report["overdue"] == {
        "amount": D("3200.00"),
        "instalments": 2,
        "enrollments": 1,
    }


def test_receivables_of_a_period_not_over_are_counted_today(history):
    report = finance_report(MARCH, today=date(2025, 3, 10))
    assert report["as_of"] == date(2025, 3, 10)
    # e1 holds 12800 on the 10th; e2 holds 3000 of 9000.
    assert report["outstanding"] == {"amount": D("6000.00"), "count": 1}
    # Only February's instalment was due before the 10th, and the 3000 e2
    # held that day covered it (the refund of the 25th is later): nothing.
    assert report["overdue"] == {
        "amount": D("0.00"),
        "instalments": 0,
        "enrollments": 0,
    }
    # At the end of March, the 2800 e2 held then leave 200 of February's
    # and all of March's instalment overdue.
    assert finance_report(MARCH, today=date(2025, 4, 15))["overdue"] == {
        "amount": D("3200.00"),
        "instalments": 2,
        "enrollments": 1,
    }


def test_refunds_by_class_and_consultant_net_of_corrections(history):
    report = finance_report(MARCH)
    assert [
        (r["name"], r["campus"], r["amount"], r["count"])
        for r in report["refunds_by_class"]
    ] == [("Python N1", "North", D("500.00"), 1), ("Java S1", "South", D("200.00"), 1)]
    assert [
        (r["name"], r["amount"], r["count"]) for r in report["refunds_by_consultant"]
    ] == [("Alice", D("500.00"), 1), ("Bob", D("200.00"), 1)]


def test_a_refund_corrected_in_the_period_leaves_no_row(history, monkeypatch):
    clock = Clock(monkeypatch)
    ruby = ClassListFactory(name="Ruby N2", branch=history["north"])
    enrollment = EnrollmentFactory(
        customer__consultant=UserFactory(display_name="Carol"), class_list=ruby
    )
    clock.add(enrollment, (2025, 3, 2), KIND.PAYMENT, amount="100.00")
    refund = clock.add(enrollment, (2025, 3, 3), KIND.REFUND, amount="-100.00")
    clock.reverse(refund, (2025, 3, 4))
    report = finance_report(MARCH)
    assert "Ruby N2" not in [r["name"] for r in report["refunds_by_class"]]
    assert "Carol" not in [r["name"] for r in report["refunds_by_consultant"]]
    assert report["cash"]["refunds"] == D("700.00")


def test_trend_pairs_net_cash_with_revenue_for_twelve_months(history):
    trend = finance_report(MARCH)["trend"]
    assert [row["month"] for row in trend] == [
        f"{year}-{month:02d}"
        for year, month in [(2024, m) for m in range(4, 13)] + [(2025, 1), (2025, 2)]
    ] + ["2025-03"]
    assert trend[-2] == {"month": "2025-02", "cash": D("5000"), "revenue": D("400")}
    assert trend[-1] == {
        "month": "2025-03",
        "cash": D("10100.00"),
        "revenue": D("2803.13"),
    }
    assert all(row["cash"] == row["revenue"] == 0 for row in trend[:-2])
    assert all(isinstance(row["cash"], Decimal) for row in trend)


def test_the_campus_filter_narrows_every_section(history):
    south = finance_report(scope(history["south"]))
    assert south["cash"] == {
        "payments": D("3000.00"),
        "refunds": D("200.00"),
        "net": D("2800.00"),
    }
    assert south["revenue"]["amount"] == D("703.13")
    assert south["outstanding"] == {"amount": D("6200.00"), "count": 1}
    assert south["overdue"]["amount"] == D("3200.00")
    assert [r["name"] for r in south["refunds_by_class"]] == ["Java S1"]
    assert [r["name"] for r in south["refunds_by_consultant"]] == ["Bob"]
    assert south["trend"][-1]["cash"] == D("2800.00")

    north = finance_report(scope(history["north"]))
    assert north["cash"]["net"] == D("7300.00")
    assert north["revenue"]["amount"] == D("2100.00")
    assert north["outstanding"] == {"amount": D("500.00"), "count": 1}
    assert north["overdue"]["instalments"] == 0
    assert north["trend"][-2]["revenue"] == D("400.00")


def test_the_consultant_of_a_scope_narrows_it_too(history):
    report = finance_report(
        ReportScope(
            since=MARCH.since, until=MARCH.until, consultant_id=history["alice"].pk
        )
    )
    assert report["cash"]["net"] == D("7300.00")
    assert [r["name"] for r in report["refunds_by_consultant"]] == ["Alice"]


def test_a_period_without_data_shows_zeros(db):
    report = finance_report(
        ReportScope(since=date(2001, 1, 1), until=date(2001, 1, 31))
    )
    assert report["cash"]["net"] == report["revenue"]["amount"] == D("0.00")
    assert report["outstanding"] == {"amount": D("0.00"), "count": 0}
    assert report["refunds_by_class"] == report["refunds_by_consultant"] == []
    assert all(row["cash"] == row["revenue"] == 0 for row in report["trend"])


def more_history(monkeypatch, n: int) -> None:
    """Add ``n`` enrollments with payments, consumption, refunds and plans."""
    clock = Clock(monkeypatch)
    for i in range(n):
        class_list = ClassListFactory(course=CourseFactory(price=D("6400.00")))
        enrollment = enrollment_with_terms(
            clock,
            consultant=UserFactory(),
            class_list=class_list,
            approved=(2025, 1, 1 + i),
            hours="32",
        )
        plan_set(
            enrollment=enrollment,
            instalments=[(date(2025, 2, 1), D("6400.00"))],
            by=None,
        )
        for month in (1, 2, 3):
            clock.add(enrollment, (2025, month, 3 + i), KIND.PAYMENT, amount="100.00")
            clock.add(enrollment, (2025, month, 4 + i), KIND.CONSUMPTION, hours="-1.5")
        clock.add(enrollment, (2025, 3, 9 + i), KIND.REFUND, amount="-50.00")


def test_query_count_does_not_grow_with_data(
    history, monkeypatch, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        finance_report(MARCH)
    more_history(monkeypatch, 6)
    with django_assert_max_num_queries(7):
        report = finance_report(MARCH)
    assert len(report["refunds_by_class"]) == 8
    assert report["revenue"]["amount"] == D("2803.13") + 6 * D("300.00")


# -- the page and its downloads ------------------------------------------------


def finance_readers():
    permission = Permission.objects.get(
        content_type__app_label="finance", codename="view_finance_reports"
    )
    return RoleFactory(name="Finance report readers", permissions=[permission])


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", roles=[finance_readers()])


def get(client, user, params=None, url=URL):
    client.force_login(user)
    return client.get(url, params or {})


def test_the_urls_are_the_named_routes():
    assert reverse("finance:report") == URL
    assert reverse("finance:report_export") == EXPORT_URL


def test_page_shows_the_figures(client, history, reader):
    response = get(client, reader, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    for testid, value in [
        ("cash-payments", "10800.00"),
        ("cash-refunds", "−700.00"),
        ("cash-net", "10100.00"),
        ("revenue-hours", "15.5"),
        ("revenue-amount", "2803.13"),
        ("cash-minus-revenue", "7296.87"),
        ("outstanding-amount", "6700.00"),
        ("outstanding-count", "2"),
        ("overdue-amount", "3200.00"),
        ("overdue-count", "1"),
    ]:
        assert f'data-testid="{testid}">{value}<' in html, testid
    assert "Overdue (2 instalments)" in html
    assert "As of the end of 2025-03-31" in html
    assert 'id="report-charts" type="application/json"' in html
    assert "<script>" not in html and "<style" not in html  # the CSP allows neither
    assert "finance/report.js" in html
    assert f"{EXPORT_URL}?period=custom" in html


def test_every_chart_is_described_by_the_table_beside_it(client, history, reader):
    html = get(client, reader, PERIOD).content.decode()
    canvases = re.findall(r"<canvas [^>]*>", html)
    assert len(canvases) == 3
    for canvas in canvases:
        assert 'role="img"' in canvas and "aria-label=" in canvas
        described = re.search(r'aria-describedby="([^"]+)"', canvas).group(1)
        assert re.search(rf'<table id="{described}"', html), described


def test_chart_data_holds_the_trend_and_the_refunds(client, history, reader):
    charts = get(client, reader, PERIOD).context["charts"]
    assert charts["trend"]["cash"][-1] == 10100.0
    assert charts["trend"]["revenue"][-1] == 2803.13
    assert charts["refundClasses"] == {
        "labels": ["Python N1", "Java S1"],
        "values": [500.0, 200.0],
        "label": "Refunded",
    }


def test_the_page_opens_on_a_default_period(client, reader):
    response = get(client, reader)
    assert response.status_code == 200
    assert response.context["report"] is not None
    assert 'name="consultant"' not in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, db):
    for url in (URL, EXPORT_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_users_without_the_rule_get_403(client, db):
    plain = UserFactory(username="plain")
    assert get(client, plain).status_code == 403
    assert get(client, plain, {"format": "xlsx"}, url=EXPORT_URL).status_code == 403


def test_only_get_is_allowed(client, reader):
    client.force_login(reader)
    assert client.post(URL, PERIOD).status_code == 405


def test_campus_user_sees_only_their_campus(client, history):
    manager = UserFactory(
        username="south_boss", campus=history["south"], roles=[finance_readers()]
    )
    response = get(client, manager, {**PERIOD, "campus": history["north"].pk})
    report = response.context["report"]
    assert report["cash"]["net"] == D("2800.00")
    assert "Alice" not in response.content.decode()


def test_superuser_picks_any_campus(client, history):
    admin = UserFactory(username="boss", is_superuser=True, campus=history["south"])
    response = get(client, admin, {**PERIOD, "campus": history["north"].pk})
    assert response.context["report"]["cash"]["net"] == D("7300.00")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "since": "2025-13-01"}, "Enter a valid date."),
        (
            {"period": "custom", "since": "2025-03-02", "until": "2025-03-01"},
            "must not be after",
        ),
        (
            {"period": "custom", "since": "2020-01-01", "until": "2025-01-01"},
            "at most 5 years",
        ),
        ({"period": "custom", "since": "2025-01-01"}, "needs both a start"),
        (
            {"period": "custom", "since": "0001-01-01", "until": "0001-02-01"},
            "Enter a date between",
        ),
        ({"period": "fortnight"}, "Select a valid choice"),
        ({"campus": "north"}, "Select a valid choice"),
        ({"campus": "999999"}, "Select a valid choice"),
        ({"campus": str(10**30)}, "Select a valid choice"),
        ({"day": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_query_strings_show_a_form_error(client, reader, params, message):
    for url in (URL, EXPORT_URL):
        response = get(client, reader, params, url=url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()
        assert response.context["report"] is None


def test_an_unknown_download_format_is_a_form_error(client, reader):
    response = get(client, reader, {**PERIOD, "format": "pdf"}, url=EXPORT_URL)
    assert response.status_code == 200
    assert "Download the report as xlsx or csv." in response.content.decode()


def _values(rows) -> dict:
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def test_excel_download_holds_the_figures(client, history, reader):
    response = get(client, reader, {**PERIOD, "format": "xlsx"}, url=EXPORT_URL)
    assert response.status_code == 200
    assert "finance-report-20250301-20250331.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Section", "Item", "Measure", "Value")
    values = _values(rows[1:])
    section = "Cash and revenue"
    assert values[(section, "Cash received", "Payments")] == 10800
    assert values[(section, "Cash received", "Refunds")] == 700
    assert values[(section, "Cash received", "Net cash")] == 10100
    assert values[(section, "Revenue recognised", "Revenue")] == 2803.13
    assert values[(section, "Revenue recognised", "Hours consumed")] == 15.5
    assert values[("Receivables", "Outstanding balances", "Amount")] == 6700
    assert values[("Receivables", "Outstanding balances", "Enrollments")] == 2
    assert values[("Receivables", "Overdue instalments", "Amount")] == 3200
    assert values[("Receivables", "Overdue instalments", "Instalments")] == 2
    assert values[("Refunds by class", "Python N1 (North)", "Refunded")] == 500
    assert values[("Refunds by consultant", "Bob", "Refunds")] == 1
    assert values[("Monthly trend", "2025-02", "Revenue")] == 400


def test_excel_is_the_default_download(client, history, reader):
    response = get(client, reader, PERIOD, url=EXPORT_URL)
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_csv_download_holds_the_figures(client, history, reader):
    response = get(client, reader, {**PERIOD, "format": "csv"}, url=EXPORT_URL)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    values = _values(list(csv.reader(io.StringIO(text)))[1:])
    assert values[("Cash and revenue", "Revenue recognised", "Revenue")] == "2803.13"
    assert values[("Monthly trend", "2025-03", "Net cash")] == "10100.00"


def test_page_query_count_does_not_grow_with_data(
    client, history, reader, monkeypatch, django_assert_max_num_queries
):
    client.force_login(reader)
    with django_assert_max_num_queries(15):
        assert client.get(URL, PERIOD).status_code == 200
    more_history(monkeypatch, 6)
    with django_assert_max_num_queries(15):
        response = client.get(URL, PERIOD)
    assert len(response.context["report"]["refunds_by_consultant"]) == 8

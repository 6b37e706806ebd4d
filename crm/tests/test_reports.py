"""The sales report: every number against a small hand-computed data set."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm import report_forms
from crm.models import Customer, Enrollment, Payment
from crm.report_forms import ReportFilterForm, default_period
from crm.reports import BoundIndex, ReportScope, sales_report
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    FollowUpFactory,
    PaymentFactory,
    RoleFactory,
    UserFactory,
)

URL = reverse("crm:reports")
# A custom range across the new year: 2025-12-16 .. 2026-01-15 (Asia/Shanghai).
PERIOD = {"period": "custom", "since": "2025-12-16", "until": "2026-01-15"}


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def reports_role():
    permission = Permission.objects.get(
        content_type__app_label="crm", codename="view_sales_reports"
    )
    return RoleFactory(name="Report readers", permissions=[permission])


@pytest.fixture
def data(db, settings):
    """Two consultants on two campuses, leads, enrollments, payments, follow-ups.

    Numbers for PERIOD, worked out by hand:
    leads: qq_group 2 (c1 approved, c2 link sent), referral 1 (c3 submitted);
    c4 (one minute too late) and c5 (one minute too early) are outside.
    """
    settings.CRM_STALE_LEAD_DAYS = 30
    recent = timezone.now() - timedelta(days=1)
    north, south = BranchFactory(name="North"), BranchFactory(name="South")
    alice = UserFactory(username="alice", display_name="Alice", campus=north)
    bob = UserFactory(username="bob", display_name="Bob", campus=south)
    k1 = ClassListFactory(name="Python S1", seats=20, branch=north)
    qq, referral = Customer.Source.QQ_GROUP, Customer.Source.REFERRAL
    c1 = CustomerFactory(
        consultant=alice,
        source=qq,
        created_at=local(2025, 12, 20, 10),
        last_followup_at=recent,
    )
    c2 = CustomerFactory(consultant=alice, source=qq, created_at=local(2026, 1, 5))
    c3 = CustomerFactory(
        consultant=bob,
        source=referral,
        created_at=local(2026, 1, 15, 23, 59),
        last_followup_at=recent,
    )
    CustomerFactory(consultant=bob, created_at=local(2026, 1, 16, 0, 0))
    c5 = CustomerFactory(
        consultant=alice, source=referral, created_at=local(2025, 12, 15, 23, 59)
    )
    # Last worked: the last follow-up, else the entry (as migrated data has it).
    Customer.objects.update(
        last_activity_at=Coalesce(F("last_followup_at"), F("created_at"))
    )
    e1 = EnrollmentFactory(
        customer=c1, class_list=k1, approved=True, approved_at=local(2026, 1, 10)
    )
    EnrollmentFactory(customer=c2, class_list=k1)
    EnrollmentFactory(
        customer=c3,
        class_list=k1,
        state=Enrollment.State.SUBMITTED,
        submitted_at=local(2026, 1, 15, 12),
    )
    EnrollmentFactory(
        customer=c5, class_list=k1, approved=True, approved_at=local(2026, 1, 2)
    )
    # Alice: 2 follow-ups in the period (one at its first instant), 1 after.
    for moment in (local(2025, 12, 16, 0, 0), local(2026, 1, 10), local(2026, 1, 16)):
        FollowUpFactory(customer=c1, created_at=moment)
    FollowUpFactory(customer=c3, created_at=local(2026, 1, 3))
    payments = [
        # This period: 500 + 9000 - 300 = 9200.
        (Payment.Kind.DEPOSIT, "500", local(2025, 12, 16, 0, 0)),
        (Payment.Kind.TUITION, "9000", local(2026, 1, 15, 23, 59)),
        (Payment.Kind.REFUND, "300", local(2026, 1, 5)),
        (Payment.Kind.TUITION, "1000", local(2026, 1, 16, 0, 0)),  # After it.
        # The same days a year earlier: 8000 - 1000 = 7000.
        (Payment.Kind.TUITION, "8000", local(2025, 1, 15, 12)),
        (Payment.Kind.REFUND, "1000", local(2024, 12, 20)),
        (Payment.Kind.DEPOSIT, "999", local(2024, 12, 15, 23)),  # Before it.
    ]
    for kind, amount, moment in payments:
        PaymentFactory(
            enrollment=e1, kind=kind, amount=Decimal(amount), created_at=moment
        )
    return {"alice": alice, "bob": bob, "north": north, "south": south}


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", roles=[reports_role()])


def get(client, user, params=None):
    client.force_login(user)
    return client.get(URL, params or {})


def report_for(**params):
    form = ReportFilterForm({**PERIOD, **params}, user=UserFactory(is_superuser=True))
    assert form.is_valid(), form.errors
    return sales_report(form.scope())


def test_lead_sources_count_share_and_conversion(data):
    report = report_for()
    assert [
        (r["source"], r["leads"], r["share"], r["approved"], r["conversion"])
        for r in report["sources"]
    ] == [("qq_group", 2, 66.7, 1, 50.0), ("referral", 1, 33.3, 0, 0.0)]


def test_funnel_counts_leads_created_in_the_period(data):
    assert report_for()["funnel"] == {
        "leads": 3,
        "followed_up": 2,
        "link_sent": 3,
        "submitted": 2,
        "approved": 1,
        "conversion": 33.3,
        "trial_booked": 0,
        "trial_attended": 0,
    }


def trial(customer, state, booked_at):
    """A trial lesson of ``customer`` booked at ``booked_at`` (the report's time)."""
    from timetable.models import ClassSession, TrialLesson

    session = ClassSession.objects.create(
        class_list=ClassListFactory(),
        starts_at=booked_at + timedelta(days=1),
        ends_at=booked_at + timedelta(days=1, hours=2),
        teacher=UserFactory(),
    )
    row = TrialLesson.objects.create(
        customer=customer, session=session, state=state, booked_by=customer.consultant
    )
    TrialLesson.objects.filter(pk=row.pk).update(booked_at=booked_at)


@pytest.fixture
def trials(data):
    """Trials booked in PERIOD: 3 leads (one twice), 2 came; others outside it.

    Alice: c1 attended, c1 again absent (one lead), c5 (an old lead) attended;
    Bob: a lead of no new lead's source (baidu) booked. Outside: a cancelled
    one, one booked a minute after the period.
    """
    c1 = Customer.objects.get(created_at=local(2025, 12, 20, 10))
    c5 = Customer.objects.get(created_at=local(2025, 12, 15, 23, 59))
    bob_lead = CustomerFactory(
        consultant=data["bob"],
        source=Customer.Source.BAIDU_ADS,
        created_at=local(2025, 11, 1),
    )
    trial(c1, "attended", local(2025, 12, 16, 0, 0))
    trial(c1, "absent", local(2026, 1, 2))
    trial(c5, "attended", local(2026, 1, 15, 23, 59))
    trial(bob_lead, "booked", local(2026, 1, 10))
    trial(bob_lead, "cancelled", local(2026, 1, 11))
    trial(c5, "attended", local(2026, 1, 16, 0, 0))
    return data


def test_trials_booked_and_attended_count_leads_by_booking_time(trials):
    report = report_for()
    funnel = report["funnel"]
    assert (funnel["trial_booked"], funnel["trial_attended"]) == (3, 2)
    assert [
        (r["source"], r["leads"], r["trial_booked"], r["trial_attended"])
        for r in report["sources"]
    ] == [("qq_group", 2, 1, 1), ("referral", 1, 1, 1), ("baidu_ads", 0, 1, 0)]
    assert [
        (r["name"], r["trial_booked"], r["trial_attended"])
        for r in report["consultants"]
    ] == [("Alice", 2, 2), ("Bob", 1, 0)]
    # The funnel's other steps are still those of the leads of the period.
    assert report["funnel"]["leads"] == 3
    bob = report_for(consultant=trials["bob"].pk)["funnel"]
    assert (bob["trial_booked"], bob["trial_attended"]) == (1, 0)


def test_leaderboard_ranks_consultants_by_approved_leads(data):
    assert [
        (r["name"], r["leads"], r["approved"], r["conversion"])
        for r in report_for()["consultants"]
    ] == [("Alice", 2, 1, 50.0), ("Bob", 1, 0, 0.0)]


def test_enrollments_per_class_counts_approvals_in_the_period(data):
    assert [
        (r["name"], r["approved"], r["seats"], r["fill"])
        for r in report_for()["classes"]
    ] == [("Python S1", 2, 20, 10.0)]


def test_revenue_subtracts_refunds_and_compares_across_the_year_boundary(data):
    revenue = report_for()["revenue"]
    assert revenue["current"] == {
        "deposits": Decimal("500"),
        "tuition": Decimal("9000"),
        "refunds": Decimal("300"),
        "net": Decimal("9200"),
    }
    assert revenue["last_year"]["net"] == Decimal("7000")
    assert str(revenue["last_year_since"]) == "2024-12-16"
    assert revenue["change"] == 31.4  # (9200 - 7000) / 7000


def test_trend_pairs_each_month_with_the_same_month_a_year_earlier(data):
    trend = report_for()["trend"]
    assert len(trend) == 12
    assert trend[-1] == {
        "month": "2026-01",
        "net": Decimal("9700"),  # The whole month, 16 January included.
        "previous_month": "2025-01",
        "previous_net": Decimal("8000"),
    }
    assert (trend[-2]["month"], trend[-2]["net"], trend[-2]["previous_net"]) == (
        "2025-12",
        Decimal("500"),
        Decimal("-1"),
    )
    assert trend[0]["month"] == "2025-02"
    assert all(row["net"] == 0 for row in trend[:-2])


def test_bound_index_puts_a_moment_on_a_bound_in_the_later_bucket(data):
    # Buckets: before 2025-12-16 00:00 local, before 2026-01-16 00:00, none.
    bounds = [local(2025, 12, 16), local(2026, 1, 16)]
    rows = Payment.objects.annotate(bucket=BoundIndex("created_at", bounds))
    assert sorted(
        (row.created_at, row.bucket) for row in rows.order_by("created_at")
    ) == [
        (local(2024, 12, 15, 23), 0),
        (local(2024, 12, 20), 0),
        (local(2025, 1, 15, 12), 0),
        (local(2025, 12, 16, 0, 0), 1),  # On the first bound: the next bucket.
        (local(2026, 1, 5), 1),
        (local(2026, 1, 15, 23, 59), 1),
        (local(2026, 1, 16, 0, 0), None),  # From the last bound on: none.
    ]
    assert dict(
        rows.order_by()
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    ) == {0: 3, 1: 3, None: 1}


def test_followup_activity_counts_period_followups_and_stale_leads(data):
    assert [
        (r["name"], r["followups"], r["stale"]) for r in report_for()["activity"]
    ] == [("Alice", 2, 2), ("Bob", 1, 1)]


def test_consultant_filter_keeps_only_their_numbers(data):
    report = report_for(consultant=data["bob"].pk)
    assert report["funnel"]["leads"] == 1
    assert report["revenue"]["current"]["net"] == 0
    assert [r["name"] for r in report["activity"]] == ["Bob"]


def test_a_period_without_data_shows_zeros(db):
    scope = ReportScope(
        since=timezone.localdate().replace(year=2001, month=1, day=1),
        until=timezone.localdate().replace(year=2001, month=1, day=31),
    )
    report = sales_report(scope)
    assert report["funnel"]["leads"] == 0
    assert report["funnel"]["conversion"] is None
    assert report["revenue"]["current"]["net"] == 0
    assert report["revenue"]["change"] is None
    assert all(row["net"] == 0 for row in report["trend"])


def test_page_shows_the_numbers(client, data, reader):
    response = get(client, reader, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="revenue-net">9200.00<' in html
    assert 'data-testid="revenue-change">31.4%<' in html
    assert 'data-testid="funnel-leads">3<' in html
    assert 'id="report-charts" type="application/json"' in html


def on_day(monkeypatch, day: date) -> None:
    """Make the report's "today" ``day`` (only the report form's clock)."""
    monkeypatch.setattr(
        report_forms, "timezone", SimpleNamespace(localdate=lambda: day)
    )


def test_early_in_a_month_the_report_opens_on_last_month(client, reader, monkeypatch):
    on_day(monkeypatch, date(2026, 3, 2))
    CustomerFactory(created_at=local(2026, 2, 27, 10))
    response = get(client, reader)
    scope = response.context["report"]["scope"]
    assert (str(scope.since), str(scope.until)) == ("2026-02-01", "2026-02-28")
    assert response.context["report"]["funnel"]["leads"] == 1
    html = response.content.decode()
    assert '<option value="last_month" selected>Last month</option>' in html
    assert 'data-testid="report-default-note"' in html
    # The downloads of the page opened that way cover the same month.
    download = get(client, reader, {"export": "csv"})
    assert "sales-report-20260201-20260228.csv" in download["Content-Disposition"]


def test_from_the_eighth_the_report_opens_on_the_month_so_far(
    client, reader, monkeypatch
):
    on_day(monkeypatch, date(2026, 3, 8))
    response = get(client, reader)
    scope = response.context["report"]["scope"]
    assert (str(scope.since), str(scope.until)) == ("2026-03-01", "2026-03-31")
    html = response.content.decode()
    assert '<option value="month" selected>This month</option>' in html
    assert 'data-testid="report-default-note"' not in html


def test_a_chosen_period_is_not_explained_as_the_default(client, reader, monkeypatch):
    on_day(monkeypatch, date(2026, 3, 2))
    response = get(client, reader, {"period": "last_month"})
    assert response.context["report"]["scope"].since == date(2026, 2, 1)
    assert 'data-testid="report-default-note"' not in response.content.decode()


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 3, 1), "last_month"),
        (date(2026, 3, 7), "last_month"),
        (date(2026, 3, 8), "month"),
        (date(2026, 3, 31), "month"),
    ],
)
def test_default_period(today, period):
    assert default_period(today) == period


@pytest.mark.parametrize(
    ("period", "day", "since", "until"),
    [
        ("month", "2026-02-10", "2026-02-01", "2026-02-28"),
        ("last_month", "2026-03-31", "2026-02-01", "2026-02-28"),
        ("last_month", "2026-01-10", "2025-12-01", "2025-12-31"),
        ("quarter", "2026-05-10", "2026-04-01", "2026-06-30"),
        ("quarter", "2026-12-31", "2026-10-01", "2026-12-31"),
        ("last_quarter", "2026-05-10", "2026-01-01", "2026-03-31"),
        ("last_quarter", "2026-02-10", "2025-10-01", "2025-12-31"),
        ("year", "2026-05-10", "2026-01-01", "2026-12-31"),
        ("last_year", "2026-05-10", "2025-01-01", "2025-12-31"),
    ],
)
def test_period_picker(client, reader, period, day, since, until):
    response = get(client, reader, {"period": period, "day": day})
    scope = response.context["report"]["scope"]
    assert (str(scope.since), str(scope.until)) == (since, until)


def test_period_presets_are_relative_to_today(client, reader, monkeypatch):
    on_day(monkeypatch, date(2026, 5, 20))
    response = get(client, reader, {"period": "last_quarter"})
    scope = response.context["report"]["scope"]
    assert (str(scope.since), str(scope.until)) == ("2026-01-01", "2026-03-31")
    html = response.content.decode()
    for label in ("This month", "Last month", "This quarter", "Last quarter"):
        assert f">{label}</option>" in html


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_sales_without_the_permission_get_403(client, db):
    response = get(client, UserFactory(username="plain"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-13-01", "until": "2026-01-31"}, "Enter a valid date."),
        ({"since": "2026-02-01", "until": "2026-01-31"}, "must not be after"),
        ({"since": "2020-01-01", "until": "2025-01-01"}, "at most 5 years"),
        ({"since": "2026-01-01"}, "needs both a start and an end date"),
        ({"since": "0001-01-01", "until": "0001-02-01"}, "Enter a date between"),
    ],
)
def test_invalid_input_shows_a_message(client, reader, params, message):
    response = get(client, reader, {"period": "custom", **params, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert response.context["report"] is None


def test_five_years_exactly_is_allowed(client, reader):
    params = {"period": "custom", "since": "2020-01-01", "until": "2024-12-31"}
    assert get(client, reader, params).context["report"] is not None


def test_campus_user_sees_only_their_campus(client, data):
    manager = UserFactory(
        username="north_boss", campus=data["north"], roles=[reports_role()]
    )
    response = get(client, manager, {**PERIOD, "campus": data["south"].pk})
    report = response.context["report"]
    assert report["funnel"]["leads"] == 2
    assert [r["name"] for r in report["consultants"]] == ["Alice"]
    assert [r["name"] for r in report["activity"]] == ["Alice"]
    consultants = response.context["form"].fields["consultant"].queryset
    assert list(consultants) == [data["alice"]]
    assert "Bob" not in response.content.decode()


def test_campus_user_cannot_pick_a_consultant_of_another_campus(client, data):
    manager = UserFactory(
        username="north_boss", campus=data["north"], roles=[reports_role()]
    )
    response = get(client, manager, {**PERIOD, "consultant": data["bob"].pk})
    assert response.context["report"] is None
    assert "Select a valid choice" in response.content.decode()


def test_superuser_picks_any_campus(client, data):
    admin = UserFactory(username="boss", is_superuser=True, campus=data["north"])
    response = get(client, admin, {**PERIOD, "campus": data["south"].pk})
    assert response.context["report"]["funnel"]["leads"] == 1


def _export_rows(rows):
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def test_excel_download_contains_the_numbers(client, data, reader):
    response = get(client, reader, {**PERIOD, "export": "xlsx"})
    assert response.status_code == 200
    assert "sales-report-20251216-20260115.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Section", "Item", "Measure", "Value")
    values = _export_rows(rows[1:])
    assert values[("Revenue", "This period", "Net revenue")] == 9200
    assert values[("Revenue", "Same period last year", "Net revenue")] == 7000
    assert values[("Revenue", "Change", "Change %")] == 31.4
    assert values[("Lead sources", "QQ group", "Leads")] == 2
    assert values[("Conversion funnel", "All leads", "Submitted")] == 2
    assert values[("Enrollments per class", "Python S1 (North)", "Approved")] == 2
    assert values[("Enrollments per class", "Python S1 (North)", "Seats")] == 20
    assert values[("Follow-up activity", "Alice", "Stale leads")] == 2
    assert values[("Conversion funnel", "All leads", "Trial booked")] == 0


def test_csv_download_contains_the_numbers(client, data, reader):
    response = get(client, reader, {**PERIOD, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    values = _export_rows(rows[1:])
    assert values[("Revenue", "This period", "Net revenue")] == "9200.00"
    assert values[("Conversion by consultant", "Alice", "Approved")] == "1"
    assert values[("Revenue trend", "2026-01", "Net revenue")] == "9700.00"


def test_page_and_download_show_the_trials(client, trials, reader):
    html = get(client, reader, PERIOD).content.decode()
    assert 'data-testid="funnel-trial-booked">3<' in html
    assert 'data-testid="funnel-trial-attended">2<' in html
    response = get(client, reader, {**PERIOD, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    values = _export_rows(list(csv.reader(io.StringIO(text)))[1:])
    assert values[("Conversion funnel", "All leads", "Trial attended")] == "2"
    assert values[("Conversion by consultant", "Bob", "Trial booked")] == "1"


def test_query_count_does_not_grow_with_data(
    client, data, reader, django_assert_max_num_queries
):
    client.force_login(reader)
    with django_assert_max_num_queries(15):
        assert client.get(URL, PERIOD).status_code == 200
    for n in range(5):
        customer = CustomerFactory(consultant=data["bob"], created_at=local(2026, 1, 2))
        FollowUpFactory(customer=customer, created_at=local(2026, 1, 3))
        enrollment = EnrollmentFactory(
            customer=customer, approved=True, approved_at=local(2026, 1, 4)
        )
        PaymentFactory(enrollment=enrollment, created_at=local(2026, 1, 5 + n))
    with django_assert_max_num_queries(15):
        response = client.get(URL, PERIOD)
    assert response.context["report"]["funnel"]["leads"] == 8


def test_every_chart_is_described_by_the_table_beside_it(client, reader, data):
    """Screen readers get each chart's numbers (WCAG 1.1.1): aria-describedby."""
    import re

    client.force_login(reader)
    html = client.get(URL).content.decode()
    canvases = re.findall(r"<canvas [^>]*>", html)
    assert len(canvases) == 5
    for canvas in canvases:
        assert 'role="img"' in canvas and "aria-label=" in canvas
        described = re.search(r'aria-describedby="([^"]+)"', canvas).group(1)
        assert re.search(rf'<table id="{described}"', html), described

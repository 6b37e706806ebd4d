"""A lead import end to end: upload, preview, commit (the job), revert."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.lead_imports import (
    lead_import_choose,
    lead_import_commit,
    lead_import_map,
    lead_import_page,
    lead_import_preview,
    lead_import_revert,
    lead_import_start,
)
from crm.models import Customer, LeadImport
from crm.search import customer_search_q
from tests.factories import CustomerFactory, FollowUpFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = (
    "姓名,手机,QQ,来源\n"
    "张三,13800138000,,百度推广\n"
    "李四,13800138001,,\n"
    "老王,13900139000,,\n"
    "坏号,12345,,\n"
    "张三再来,13800138000,,\n"
)


@pytest.fixture
def started(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    CustomerFactory(name="老王", phone="13900139000")
    clerk, sales = UserFactory(username="clerk"), UserFactory(username="sales")
    lead_import = lead_import_start(
        upload=SimpleUploadedFile("名单.csv", CSV.encode("gbk")),
        by=clerk,
        consultant=sales,
        default_source="marketing",
    )
    return lead_import


def test_the_preview_then_the_job_create_the_new_rows_only(
    started, django_capture_on_commit_callbacks
):
    assert started.mapping == {"name": 0, "phone": 1, "qq": 2, "source": 3}
    assert started.encoding == "gb18030"
    statuses = [(p.number, p.status) for p in lead_import_preview(started)]
    assert statuses == [
        (2, "new"),
        (3, "new"),
        (4, "duplicate"),
        (5, "error"),
        (6, "duplicate"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_commit(lead_import=started)
    started.refresh_from_db()
    assert started.state == LeadImport.State.DONE
    assert (started.rows, started.created, started.duplicates, started.errors) == (
        5,
        2,
        2,
        1,
    )
    made = Customer.objects.filter(lead_import=started).order_by("name")
    assert [(c.name, c.phone, c.source, c.consultant.username) for c in made] == [
        ("张三", "13800138000", "baidu_ads", "sales"),
        ("李四", "13800138001", "marketing", "sales"),
    ]
    # Indexed for the search like any lead.
    found = Customer.objects.filter(customer_search_q("李四"))
    assert [c.name for c in found] == ["李四"]
    with pytest.raises(ValidationError, match="committed already"):
        lead_import_commit(lead_import=started)


def test_a_revert_keeps_the_leads_someone_worked(
    started, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_commit(lead_import=started)
    worked = Customer.objects.get(name="李四")
    FollowUpFactory(customer=worked)
    lead_import_revert(lead_import=started, by=started.created_by)
    started.refresh_from_db()
    assert (started.state, started.kept) == (LeadImport.State.REVERTED, 1)
    assert list(
        Customer.objects.filter(lead_import=started).values_list("name", flat=True)
    ) == ["李四"]
    assert Customer.objects.filter(name="老王").exists()


def test_a_number_entered_before_the_job_runs_makes_its_row_a_duplicate(started):
    lead_import_commit(lead_import=started)
    CustomerFactory(name="抢先", phone="13800138001")
    from crm.lead_imports import lead_import_run

    # The job sees the number now taken: a duplicate, not an error.
    assert lead_import_run.call(import_id=started.pk) == 1
    started.refresh_from_db()
    assert (started.created, started.duplicates) == (1, 3)


def test_a_page_of_the_preview_has_the_whole_file_counts(started):
    page = lead_import_page(started, status="new", per_page=1, number=2)
    assert page.counts == {"new": 2, "duplicate": 2, "error": 1}
    assert (page.total, page.chosen, page.pages, page.number) == (5, 2, 2, 2)
    assert [(row.number, row.values["name"]) for row in page.rows] == [(3, "李四")]
    every = lead_import_page(started)
    assert [row.number for row in every.rows] == [2, 3, 4, 5, 6]
    errors = lead_import_page(started, status="error").rows
    assert errors[0].errors == [("phone", errors[0].errors[0][1])]
    # The total is kept for the progress of the commit.
    started.refresh_from_db()
    assert started.rows == 5


def test_rows_left_out_are_not_imported(started, django_capture_on_commit_callbacks):
    # The page showed rows 2 and 3; only 3 stays chosen.
    lead_import_choose(lead_import=started, shown=[2, 3], chosen=[3])
    assert lead_import_page(started).chosen == 1
    # Another page's choice keeps this one.
    lead_import_choose(lead_import=started, shown=[5], chosen=[])
    started.refresh_from_db()
    assert started.skipped == [2, 5]
    with pytest.raises(ValidationError, match="rows shown"):
        lead_import_choose(lead_import=started, shown=[2], chosen=[4])
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_commit(lead_import=started)
    started.refresh_from_db()
    assert list(
        Customer.objects.filter(lead_import=started).values_list("name", flat=True)
    ) == ["李四"]
    assert (started.created, started.checked, started.rows) == (1, 4, 4)
    with pytest.raises(ValidationError, match="committed already"):
        lead_import_choose(lead_import=started, shown=[2], chosen=[2])


def test_new_columns_forget_the_rows_left_out(started):
    lead_import_choose(lead_import=started, shown=[2], chosen=[])
    lead_import_map(lead_import=started, mapping={"name": 0, "phone": 1})
    started.refresh_from_db()
    assert started.skipped == []


def test_a_revert_keeps_leads_given_to_someone_else_meanwhile(
    started, django_capture_on_commit_callbacks
):
    from crm.pool import customers_reassign

    with django_capture_on_commit_callbacks(execute=True):
        lead_import_commit(lead_import=started)
    moved = Customer.objects.filter(name="张三")
    customers_reassign(customers=moved, to=UserFactory(), by=started.created_by)
    lead_import_revert(lead_import=started, by=started.created_by)
    started.refresh_from_db()
    assert started.kept == 1
    assert list(
        Customer.objects.filter(lead_import=started).values_list("name", flat=True)
    ) == ["张三"]


def test_the_columns_can_be_chosen_but_not_twice(started):
    with pytest.raises(ValidationError, match="two fields"):
        lead_import_map(lead_import=started, mapping={"name": 0, "phone": 0})
    lead_import_map(lead_import=started, mapping={"name": 0, "qq": 1})
    statuses = [p.status for p in lead_import_preview(started)]
    # Phone numbers read as QQ numbers: 11 digits are a valid QQ, "12345" too.
    assert statuses == ["new", "new", "new", "new", "duplicate"]


def test_a_file_that_is_not_a_spreadsheet_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = UserFactory()
    with pytest.raises(ValidationError):
        lead_import_start(
            upload=SimpleUploadedFile("x.xlsx", b"\x00garbage" * 50),
            by=user,
            consultant=user,
            default_source="other",
        )
    assert not LeadImport.objects.exists()


def test_an_unexpected_error_fails_the_import_instead_of_leaving_it_queued(
    started, monkeypatch
):
    from crm import lead_imports

    lead_import_commit(lead_import=started)

    def broken(lead_import):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(lead_imports, "_create_leads", broken)
    with pytest.raises(RuntimeError):
        lead_imports.lead_import_run.call(import_id=started.pk)
    started.refresh_from_db()
    assert started.state == LeadImport.State.FAILED
    assert "RuntimeError" in started.failure
    assert not Customer.objects.filter(lead_import=started).exists()

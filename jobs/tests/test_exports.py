"""Long lists export in the background: progress, notification, owner-only file."""

import csv
import io

import pytest
from django.test import Client

from accounts.models import Notification
from crm.models import Customer
from jobs.models import Export
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST = "/kingadmin/crm/customer/"


@pytest.fixture
def long_lists(settings):
    """Lists of more than 3 rows count as long."""
    settings.KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE = 3


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_a_short_list_still_downloads_at_once(admin_client, long_lists):
    CustomerFactory.create_batch(3)
    response = admin_client.get(LIST + "export/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "text/csv"
    )
    assert len(csv_rows(response)) == 4
    assert not Export.objects.exists()


def test_a_long_list_exports_as_a_job_with_progress_and_a_notification(
    admin_client, admin_user, long_lists, django_capture_on_commit_callbacks
):
    CustomerFactory.create_batch(4, source="qq_group")
    CustomerFactory.create_batch(2, source="referral")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.get(
            LIST + "export/", {"format": "csv", "source": "qq_group", "o": "name_link"}
        )
    export = Export.objects.get()
    assert response.status_code == 302 and response.url == f"/jobs/exports/{export.pk}/"
    assert export.state == Export.State.DONE and export.rows_total == 4
    page = admin_client.get(response.url, follow=True).content.decode()
    assert "exported in the background" in page
    assert "4 of 4 rows" in page and f"/jobs/exports/{export.pk}/download/" in page
    assert f'href="{LIST}?source=qq_group&amp;o=name_link"' in page  # back to it
    status = admin_client.get(f"/jobs/exports/{export.pk}/status/").json()
    assert status["state"] == "done" and status["percent"] == 100
    download = admin_client.get(status["download_url"])
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    rows = list(csv.reader(io.StringIO(b"".join(download).decode("utf-8-sig"))))
    names = sorted(
        Customer.objects.filter(source="qq_group").values_list("name", flat=True)
    )
    assert [row[0] for row in rows[1:]] == names  # the list's filter and sort
    note = Notification.objects.get(recipient=admin_user)
    assert "ready: 4 rows" in note.text and note.link == f"/jobs/exports/{export.pk}/"


def test_an_xlsx_export_in_the_background(
    admin_client, long_lists, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    CustomerFactory.create_batch(5)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.get(LIST + "export/", {"format": "xlsx"})
    export = Export.objects.get()
    download = admin_client.get(f"/jobs/exports/{export.pk}/download/")
    sheet = load_workbook(io.BytesIO(b"".join(download))).active
    assert sheet.max_row == 6


def test_another_users_export_is_not_found(
    admin_client, demo, long_lists, django_capture_on_commit_callbacks
):
    CustomerFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.get(LIST + "export/", {"format": "csv"})
    export = Export.objects.get()
    other = Client()
    other.force_login(demo["manager"])
    for suffix in ("", "status/", "download/"):
        assert other.get(f"/jobs/exports/{export.pk}/{suffix}").status_code == 404
    assert Client().get(f"/jobs/exports/{export.pk}/").status_code == 302  # login


def test_a_sales_export_holds_only_their_rows(
    demo, long_lists, django_capture_on_commit_callbacks
):
    sales = demo["sales_a"]
    CustomerFactory.create_batch(4, consultant=sales)
    CustomerFactory.create_batch(3, consultant=demo["sales_b"])
    client = Client()
    client.force_login(sales)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(LIST + "export/", {"format": "csv"})
    export = Export.objects.get()
    rows = csv_rows(client.get(f"/jobs/exports/{export.pk}/download/"))
    own = Customer.objects.filter(consultant=sales, pool="private").count()
    assert export.rows_total == own and len(rows) == own + 1


def test_a_right_lost_before_the_job_runs_exports_nothing(
    demo, long_lists, django_capture_on_commit_callbacks
):
    from jobs.exports import export_run

    sales = demo["sales_a"]
    CustomerFactory.create_batch(4, consultant=sales)
    client = Client()
    client.force_login(sales)
    client.get(LIST + "export/", {"format": "csv"})  # queued, not run yet
    export = Export.objects.get()
    sales.roles.clear()
    export_run.call(export_id=export.pk)
    export.refresh_from_db()
    assert export.state == Export.State.FAILED and not export.file
    assert "no longer export" in export.error


def test_progress_is_written_as_rows_go_out(admin_user, monkeypatch):
    from jobs import exports

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    export = Export.objects.create(
        user=admin_user, model="crm.customer", title="Customers", path=LIST,
        format="csv", language="en", rows_total=5,
    )  # fmt: skip
    seen = []
    for _row in exports._counted(iter(range(5)), export):
        export.refresh_from_db()
        seen.append(export.rows_written)
    assert seen == [0, 0, 2, 2, 4]
    export.refresh_from_db()
    assert export.percent == 80


def test_export_files_are_deleted_after_a_week_the_record_stays(
    admin_client, long_lists, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from jobs.tasks import nightly_cleanup

    CustomerFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.get(LIST + "export/", {"format": "csv"})
    export = Export.objects.get()
    name = export.file.name
    assert nightly_cleanup.call()["export_files"] == 0  # a fresh file stays
    Export.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert nightly_cleanup.call()["export_files"] == 1
    export.refresh_from_db()
    assert export.file.name == "" and export.state == Export.State.DONE
    assert not export.file.storage.exists(name)
    page = admin_client.get(f"/jobs/exports/{export.pk}/").content.decode()
    assert "The file was deleted after 7 days." in page
    assert admin_client.get(f"/jobs/exports/{export.pk}/download/").status_code == 404

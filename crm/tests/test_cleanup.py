"""The nightly cleanup: expired links, upload leftovers, old sessions and jobs."""

import os
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from crm.cleanup import LEFTOVER_AGE, LINK_GRACE
from crm.models import EnrollmentDocument, EnrollmentLink
from crm.services import enrollment_link_create
from jobs.tasks import nightly_cleanup
from tests.factories import ClassListFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _link(customer, klass, by, *, age: timedelta, used: bool = False):
    link, _token = enrollment_link_create(customer=customer, class_list=klass, by=by)
    past = timezone.now() - age
    EnrollmentLink.objects.filter(pk=link.pk).update(
        created_at=past - timedelta(days=7),
        expires_at=past,
        used_at=past - timedelta(days=1) if used else None,
    )
    return link


def _aged(name: str, content: bytes, age: timedelta) -> str:
    stored = default_storage.save(name, ContentFile(content))
    then = (timezone.now() - age).timestamp()
    os.utime(default_storage.path(stored), (then, then))
    return stored


def test_the_nightly_cleanup_deletes_what_expired_and_keeps_the_rest():
    sales = UserFactory(username="sales")
    customer = CustomerFactory(consultant=sales)
    klass = ClassListFactory()
    long_expired = _link(customer, klass, sales, age=LINK_GRACE + timedelta(days=1))
    recently_expired = _link(customer, klass, sales, age=timedelta(days=1))
    used = _link(customer, klass, sales, age=LINK_GRACE * 2, used=True)
    old = LEFTOVER_AGE * 2
    kept_file = _aged("private/enrollment/1/kept.pdf", b"%PDF-1.4\n%%EOF\n", old)
    EnrollmentDocument.objects.create(
        enrollment=used.enrollment,
        file=kept_file,
        original_name="id.pdf",
        size=15,
        content_type="application/pdf",
    )
    leftover = _aged("private/homework/9/leftover.zip", b"PK", old)
    fresh = _aged("private/homework/9/fresh.zip", b"PK", timedelta(minutes=5))
    Session.objects.create(
        session_key="x" * 32,
        session_data="",
        expire_date=timezone.now() - timedelta(days=1),
    )

    report = nightly_cleanup.call()

    assert report["enrollment_links"] == 1 and report["upload_leftovers"] == 1
    assert report["sessions"] == 1
    assert set(EnrollmentLink.objects.values_list("pk", flat=True)) == {
        recently_expired.pk,
        used.pk,
    }
    assert not EnrollmentLink.objects.filter(pk=long_expired.pk).exists()
    assert default_storage.exists(kept_file) and default_storage.exists(fresh)
    assert not default_storage.exists(leftover)
    assert not Session.objects.exists()


def test_the_cleanup_of_an_empty_storage_deletes_nothing():
    report = nightly_cleanup.call()
    assert report["upload_leftovers"] == 0 and report["enrollment_links"] == 0

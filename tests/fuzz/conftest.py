"""The fuzz suite's world: the demo data, seeded once for the whole package.

A test that asks for ``fuzz_db`` runs in its own transaction (``db``) inside
the package's transaction, which holds the demo data and is rolled back after
the package's last test, so the rest of the suite never sees it.
Inside a test each Hypothesis example runs in a savepoint of its own
(``support.rolled_back``), so examples cannot interfere with each other.

The ``fuzz`` Hypothesis profile keeps the suite deterministic (derandomized,
no example database) and fast. ``FUZZ_SCALE=20`` multiplies every test's
example count for a long run by hand; ``FUZZ_RANDOM=1`` draws fresh random
examples instead of the fixed ones.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings

from accounts.models import Notification, User
from crm.models import ClassList, Customer, Enrollment, EnrollmentDocument
from student.models import Question
from teacher.models import CourseRecord, StudyRecord
from tests.fuzz.strategies import PNG_BYTES

settings.register_profile(
    "fuzz",
    max_examples=20,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@dataclass
class World:
    """The demo data plus the rows the portal forms need."""

    users: dict[str, User]
    own_customer: Customer  # sales_a's
    open_class: ClassList  # a class enrollment links may offer
    submitted: Enrollment  # waiting for review
    token: str  # of a working enrollment link (for the public form)
    link_enrollment: Enrollment
    lesson: CourseRecord  # the teacher's, with study records
    study_record: StudyRecord  # the demo student's, of a lesson with homework
    question: Question  # open, asked by the demo student
    notification: Notification  # unread, of sales_a
    media_root: str = ""  # where the demo data's files are


def _build_world() -> World:
    from crm.demo_data import seed_demo
    from crm.services import enrollment_link_create
    from student.services import question_answer, question_ask

    seed_demo()
    users = {user.username: user for user in User.objects.all()}
    sales_a = users["sales_a"]
    customers = Customer.objects.filter(
        consultant=sales_a, pool=Customer.Pool.PRIVATE, enrollments=None
    )
    own, for_link, for_review = customers.order_by("pk")[:3]
    open_class = (
        ClassList.objects.filter(end_date__gte=timezone.localdate())
        .order_by("start_date", "pk")
        .first()
    )
    link, token = enrollment_link_create(
        customer=for_link, class_list=open_class, by=sales_a
    )
    # The public form can only be submitted with an ID document uploaded.
    document = EnrollmentDocument(
        enrollment=link.enrollment,
        original_name="id-front.png",
        size=len(PNG_BYTES),
        content_type="image/png",
    )
    document.file.save("id-front.png", ContentFile(PNG_BYTES), save=False)
    document.save()
    _unused, _token = enrollment_link_create(
        customer=for_review, class_list=open_class, by=sales_a
    )
    submitted = Enrollment.objects.get(customer=for_review)
    now = timezone.now()
    Enrollment.objects.filter(pk=submitted.pk).update(
        state=Enrollment.State.SUBMITTED,
        contract_agreed=True,
        contract_agreed_at=now - timedelta(hours=1),
        submitted_at=now - timedelta(hours=1),
    )
    student = users["student"]
    lesson = CourseRecord.objects.filter(teacher=users["teacher"]).order_by("pk")[0]
    study_record = StudyRecord.objects.filter(
        enrollment__customer__user=student, course_record__has_homework=True
    ).order_by("pk")[0]
    question = question_ask(
        author=student,
        title="How do I install Python?",
        body="The installer says I have no rights.",
        class_list=study_record.course_record.class_list,
    )
    answered = question_ask(
        author=student, title="Where is the classroom?", body="Room?", class_list=None
    )
    question_answer(question=answered, author=users["teacher"], body="Room 101.")
    notification = Notification.objects.create(
        recipient=sales_a, text="A duplicate lead", link="/"
    )
    return World(
        users=users,
        own_customer=own,
        open_class=open_class,
        submitted=Enrollment.objects.get(pk=submitted.pk),
        token=token,
        link_enrollment=link.enrollment,
        lesson=lesson,
        study_record=study_record,
        question=question,
        notification=notification,
    )


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:
    """Seed the demo data once for the package; roll it back at the end."""
    media_root = str(tmp_path_factory.mktemp("fuzz-uploads"))
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=media_root,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LANGUAGE_CODE="en",
        # Jobs the seed enqueues (mail) run at once, leaving no queue rows.
        TASKS={
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        },
    )
    with django_db_blocker.unblock(), quick, transaction.atomic():
        world = _build_world()
        world.media_root = media_root
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def fuzz_db(world, db, settings) -> World:
    """Return the world, inside this test's own transaction, with its files."""
    settings.MEDIA_ROOT = world.media_root
    return world

"""Trial lessons (试听): booked from the lead's page, marked at the roll call."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from crm.models import Customer, CustomerFollowUp
from finance.models import LedgerEntry
from teacher.models import StudyRecord
from tests.factories import CustomerFactory, EnrollmentFactory, RoleFactory, UserFactory
from timetable import services
from timetable.models import ClassSession, TrialLesson
from timetable.tests.conftest import at, permissions
from timetable.trials import trial_book, trial_cancel, trial_mark, trials_mark

pytestmark = pytest.mark.django_db


def plan(campus, when, class_list=None, teacher=None):
    return services.session_create(
        class_list=class_list or campus.klass,
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        room=campus.room,
        teacher=teacher or campus.teacher,
        topic="Functions",
    )[0]


def started(campus, class_list=None, teacher=None, hours=1):
    """A session of today that started ``hours`` ago (written as the past is)."""
    now = timezone.now()
    return ClassSession.objects.create(
        class_list=class_list or campus.klass,
        starts_at=now - timedelta(hours=hours),
        ends_at=now + timedelta(minutes=30),
        teacher=teacher or campus.teacher,
        number=1,
    )


@pytest.fixture
def sales_role(db):
    return RoleFactory(
        name="Sales",
        permissions=permissions("crm.view_own_customers", "crm.work_stale_customers"),
    )


@pytest.fixture
def sales_a(campus, sales_role):
    return UserFactory(username="sales_a", roles=[sales_role], campus=campus.branch)


@pytest.fixture
def sales_b(campus, sales_role):
    return UserFactory(username="sales_b", roles=[sales_role], campus=campus.branch)


@pytest.fixture
def lead(sales_a, campus):
    return CustomerFactory(
        name="王芳", consultant=sales_a, consult_course=campus.klass.course
    )


@pytest.fixture
def coming(campus):
    """A session of the class the day after tomorrow at 19:00."""
    return plan(campus, at(timezone.localdate() + timedelta(days=2), 19))


# -- booking rules
def test_booking_notes_a_follow_up_and_tells_the_teacher(lead, coming, sales_a, campus):
    trial = trial_book(customer=lead, session=coming, by=sales_a, note="周末有空")

    trial.refresh_from_db()
    assert (trial.state, trial.booked_by, trial.note) == ("booked", sales_a, "周末有空")
    followup = CustomerFollowUp.objects.get(customer=lead)
    assert followup.content.startswith("Booked a trial lesson: Python S9 on ")
    assert followup.consultant == sales_a
    told = Notification.objects.get(recipient=campus.teacher)
    assert "王芳 is booked for a trial lesson in Python S9 on" in told.text
    assert told.link == reverse("teacher:class_detail", args=[campus.klass.pk])


def test_a_manager_booking_someone_elses_lead_adds_no_follow_up(lead, coming):
    manager = UserFactory(username="manager")
    trial_book(customer=lead, session=coming, by=manager)
    assert TrialLesson.objects.get().booked_by == manager
    assert not CustomerFollowUp.objects.exists()


@pytest.mark.parametrize(
    "case, message",
    [
        ("started", "This session has started: book a session yet to come."),
        ("cancelled", "This session was cancelled."),
        ("student", "already studies in Python S9."),
        ("twice", "This lead is already booked into this session."),
    ],
)
def test_booking_refusals_say_why_and_change_nothing(
    case, message, lead, coming, sales_a, campus
):
    session = coming
    if case == "started":
        session = started(campus)
    elif case == "cancelled":
        services.session_cancel(session=coming, reason="Teacher ill")
        session.refresh_from_db()
    elif case == "student":
        EnrollmentFactory(customer=lead, class_list=campus.klass, approved=True)
    elif case == "twice":
        trial_book(customer=lead, session=coming, by=sales_a)
    before = TrialLesson.objects.count()

    with pytest.raises(ValidationError) as refused:
        trial_book(customer=lead, session=session, by=sales_a)

    assert message in " ".join(refused.value.messages)
    assert TrialLesson.objects.count() == before


def test_a_cancelled_booking_can_be_booked_again_on_the_same_row(
    lead, coming, sales_a, campus
):
    trial = trial_book(customer=lead, session=coming, by=sales_a)
    trial_cancel(trial=trial, by=sales_a)
    assert TrialLesson.objects.get().state == "cancelled"
    told = Notification.objects.filter(recipient=campus.teacher).first()
    assert "was cancelled" in told.text

    again = trial_book(customer=lead, session=coming, by=sales_a)

    assert again.pk == trial.pk
    assert TrialLesson.objects.get().state == "booked"
    with pytest.raises(ValidationError, match="Only a booked trial"):
        trial_cancel(
            trial=TrialLesson.objects.create(
                customer=CustomerFactory(),
                session=coming,
                booked_by=sales_a,
                state=TrialLesson.State.ATTENDED,
            ),
            by=sales_a,
        )


def test_a_started_trial_cannot_be_cancelled(lead, sales_a, campus):
    trial = TrialLesson.objects.create(
        customer=lead, session=started(campus), booked_by=sales_a
    )
    with pytest.raises(ValidationError, match="mark the trial at the roll call"):
        trial_cancel(trial=trial, by=sales_a)
    assert TrialLesson.objects.get().state == "booked"


# -- marking
def test_marking_waits_for_the_session_and_the_teacher(lead, coming, sales_a, campus):
    trial = trial_book(customer=lead, session=coming, by=sales_a)
    with pytest.raises(ValidationError, match="once the session has started"):
        trial_mark(trial=trial, attended=True, by=campus.teacher)
    ClassSession.objects.filter(pk=coming.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(ValidationError, match="does not teach"):
        trial_mark(trial=trial, attended=True, by=campus.other_teacher)
    assert TrialLesson.objects.get().state == "booked"


def test_attending_counts_as_activity_on_the_lead(lead, sales_a, campus):
    long_ago = timezone.now() - timedelta(days=20)
    Customer.objects.filter(pk=lead.pk).update(last_activity_at=long_ago)
    session = started(campus)
    came = TrialLesson.objects.create(customer=lead, session=session, booked_by=sales_a)
    other = CustomerFactory(consultant=sales_a)
    Customer.objects.filter(pk=other.pk).update(last_activity_at=long_ago)
    away = TrialLesson.objects.create(
        customer=other, session=session, booked_by=sales_a
    )

    changed = trials_mark(
        session=session, attended={came.pk: True, away.pk: False}, by=campus.teacher
    )

    assert {t.pk for t in changed} == {came.pk, away.pk}
    assert TrialLesson.objects.get(pk=came.pk).state == "attended"
    assert TrialLesson.objects.get(pk=away.pk).state == "absent"
    assert Customer.objects.get(pk=lead.pk).last_activity_at > long_ago
    assert Customer.objects.get(pk=other.pk).last_activity_at == long_ago


def test_a_trial_of_another_session_is_refused(lead, sales_a, campus):
    session = started(campus)
    elsewhere = TrialLesson.objects.create(
        customer=lead,
        session=started(
            campus,
            class_list=campus.other_class,
            teacher=campus.other_teacher,
            hours=2,
        ),
        booked_by=sales_a,
    )
    with pytest.raises(ValidationError, match="not of this session"):
        trials_mark(session=session, attended={elsewhere.pk: True}, by=campus.teacher)


# -- the lead's page
def book_url(customer):
    return reverse("crm:trial_book", args=[customer.pk])


def test_a_sales_books_from_the_leads_page(client, lead, coming, sales_a, campus):
    # A session of another campus is not offered.
    elsewhere = UserFactory(username="far_teacher")
    far = ClassSession.objects.create(
        class_list=EnrollmentFactory(customer=CustomerFactory()).class_list,
        starts_at=coming.starts_at + timedelta(days=1),
        ends_at=coming.ends_at + timedelta(days=1),
        teacher=elsewhere,
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_a)
    page = client.get(reverse("crm:customer_detail", args=[lead.pk]))
    html = page.content.decode()
    assert 'data-testid="trial-book"' in html
    assert f'<option value="{coming.pk}">' in html
    assert f'<option value="{far.pk}">' not in html
    token = page.cookies["csrftoken"].value

    response = client.post(
        book_url(lead),
        {"session": coming.pk, "note": "想试听", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    trial = TrialLesson.objects.get()
    assert (trial.customer, trial.session, trial.note) == (lead, coming, "想试听")
    page = client.get(reverse("crm:customer_detail", args=[lead.pk]))
    html = page.content.decode()
    assert f'data-testid="trial-{trial.pk}"' in html
    assert "Booked" in html
    # Booked already: no longer offered.
    assert f'<option value="{coming.pk}">' not in html

    cancel = reverse("crm:trial_cancel", args=[lead.pk, trial.pk])
    client.post(cancel, {"csrfmiddlewaretoken": token})
    assert TrialLesson.objects.get().state == "cancelled"


def test_a_bad_choice_is_a_message_and_nothing_changes(client, lead, sales_a, campus):
    past = started(campus)
    client.force_login(sales_a)
    for data in ({}, {"session": "abc"}, {"session": past.pk}, {"session": 10**9}):
        response = client.post(book_url(lead), data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"]), data
    assert not TrialLesson.objects.exists()


def test_sales_b_cannot_book_or_cancel_sales_as_lead(
    client, lead, coming, sales_a, sales_b
):
    trial = trial_book(customer=lead, session=coming, by=sales_a)
    client.force_login(sales_b)
    assert client.post(book_url(lead), {"session": coming.pk}).status_code == 403
    cancel = reverse("crm:trial_cancel", args=[lead.pk, trial.pk])
    assert client.post(cancel).status_code == 403
    assert client.post(book_url(CustomerFactory.build(pk=10**8))).status_code == 404
    assert TrialLesson.objects.get().state == "booked"
    # Sales A cannot cancel it through another of their leads.
    client.force_login(sales_a)
    mine = CustomerFactory(consultant=sales_a)
    wrong = reverse("crm:trial_cancel", args=[mine.pk, trial.pk])
    assert client.post(wrong).status_code == 404


def test_customer_page_queries_do_not_grow_with_trials(
    client, lead, sales_a, campus, django_assert_max_num_queries
):
    client.force_login(sales_a)
    url = reverse("crm:customer_detail", args=[lead.pk])
    day = timezone.localdate() + timedelta(days=3)
    for hour in (8, 11):
        trial_book(customer=lead, session=plan(campus, at(day, hour)), by=sales_a)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for hour in (14, 17, 20):
        trial_book(customer=lead, session=plan(campus, at(day, hour)), by=sales_a)
        plan(campus, at(day + timedelta(days=1), hour))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('data-testid="trial-state"') == 5


# -- the roll call
def record(client, teacher, session):
    client.force_login(teacher)
    response = client.post(
        reverse("teacher:session_record", args=[session.pk]),
        {"title": "Functions", "has_homework": ""},
    )
    assert response.status_code == 302, response.content
    session.refresh_from_db()
    return session.course_record


def test_the_teacher_marks_trials_at_the_roll_call(client, lead, sales_a, campus):
    session = started(campus)
    trial = TrialLesson.objects.create(
        customer=lead, session=session, booked_by=sales_a
    )
    ledger = LedgerEntry.objects.count()
    lesson = record(client, campus.teacher, session)
    records = StudyRecord.objects.filter(course_record=lesson)
    assert records.count() == 3  # The enrolled students only.
    ledger_after_record = LedgerEntry.objects.count()
    url = reverse("teacher:roll_call", args=[lesson.pk])

    html = client.get(url).content.decode()
    assert 'data-testid="trial-students"' in html
    assert f'data-testid="trial-{trial.pk}"' in html
    assert "王芳" in html and ">Trial<" in html

    data = {f"attendance-{r.pk}": "present" for r in records}
    data[f"trial-{trial.pk}"] = "attended"
    response = client.post(url, data)

    assert response.status_code == 302
    assert TrialLesson.objects.get().state == "attended"
    assert not StudyRecord.objects.filter(enrollment__customer=lead).exists()
    assert StudyRecord.objects.count() == 3
    assert LedgerEntry.objects.count() == ledger_after_record
    assert (
        not LedgerEntry.objects.exclude(pk__lte=ledger)
        .filter(enrollment__customer=lead)
        .exists()
    )
    # Did not come, after all.
    data[f"trial-{trial.pk}"] = "absent"
    client.post(url, data)
    assert TrialLesson.objects.get().state == "absent"


def test_another_teacher_cannot_reach_the_roll_call(client, lead, sales_a, campus):
    session = started(campus)
    trial = TrialLesson.objects.create(
        customer=lead, session=session, booked_by=sales_a
    )
    lesson = record(client, campus.teacher, session)
    client.force_login(campus.other_teacher)
    url = reverse("teacher:roll_call", args=[lesson.pk])
    assert client.post(url, {f"trial-{trial.pk}": "attended"}).status_code == 404
    assert TrialLesson.objects.get().state == "booked"


def test_roll_call_queries_do_not_grow_with_trials(
    client, sales_a, campus, django_assert_max_num_queries
):
    session = started(campus)
    for _n in range(2):
        TrialLesson.objects.create(
            customer=CustomerFactory(consultant=sales_a),
            session=session,
            booked_by=sales_a,
        )
    lesson = record(client, campus.teacher, session)
    url = reverse("teacher:roll_call", args=[lesson.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _n in range(4):
        TrialLesson.objects.create(
            customer=CustomerFactory(consultant=sales_a),
            session=session,
            booked_by=sales_a,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-testid="trial-badge"') == 6
    trials = TrialLesson.objects.filter(session=session)
    data = {f"trial-{t.pk}": "attended" for t in trials}
    with django_assert_max_num_queries(40):
        assert client.post(url, data).status_code == 302
    assert set(trials.values_list("state", flat=True)) == {"attended"}


def test_the_class_page_counts_a_sessions_trials(client, lead, coming, sales_a, campus):
    trial_book(customer=lead, session=coming, by=sales_a)
    client.force_login(campus.teacher)
    html = client.get(
        reverse("teacher:class_detail", args=[campus.klass.pk])
    ).content.decode()
    assert 'data-testid="trial-count">1 trial<' in html

"""Every model registered in kingadmin x every demo role: only rows in scope.

The expectations below are written in the domain's words (a sales sees the
customers they own and the stale leads, and what hangs off those; a teacher
the classes they teach ...), independently of the permission engine. For each
model and demo user the test checks the list (every page), the export, the
change and history pages of rows in and out of scope, the options of the
list filters, and the choices every add and change form offers. A model
registered later without an expectation here fails the test, so it cannot
leak silently.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.models import Menu, Notification, Role, User
from api.tokens import api_token_create
from crm.demo_data import DEMO_LOGINS, PYTHON_S9, SHANGHAI
from crm.models import (
    Branch,
    ClassList,
    Customer,
    CustomerFollowUp,
    Enrollment,
    EnrollmentDocument,
    Payment,
)
from crm.pool import customers_fall_back
from crm.services import enrollment_link_create
from kingadmin.filters import RelatedFieldListFilter
from kingadmin.sites import site
from student.models import Answer, Question
from teacher.models import CourseRecord, StudyRecord
from tests.factories import CustomerFactory, FollowUpFactory, PaymentFactory
from timetable.models import TrialLesson
from webhooks.models import WebhookDelivery, WebhookSubscription

ALL = object()
NONE = object()

DEMO_USERS = [login.username for login in DEMO_LOGINS]


def _sales_customers(user: User) -> QuerySet:
    """A sales' list: their private pool (the public pool is ``?pool=public``)."""
    return Customer.objects.filter(consultant=user, pool="private")


def _customers(user: User) -> QuerySet | object:
    if user.username == "manager":
        return ALL
    if user.username.startswith("sales_"):
        return _sales_customers(user)
    return NONE


def _through(path: str, parent_model: type[Model], parent):
    """Rows whose ``path`` points to a row the parent expectation allows."""

    def expect(user: User):
        rows = parent(user)
        if rows is ALL or rows is NONE:
            return rows
        if isinstance(rows, Q):
            rows = parent_model._default_manager.filter(rows)
        return Q(**{f"{path}__in": rows.values("pk")})

    return expect


def _enrollments(user):
    return _through("customer", Customer, _customers)(user)


def _taught_classes(user: User):
    if user.username == "teacher":
        return ClassList.objects.filter(teachers=user)
    if user.username.startswith("sales_") or user.username in ("manager", "finance"):
        return ALL
    return NONE


def _teacher_only(rows):
    def expect(user):
        return rows(user) if user.username == "teacher" else NONE

    return expect


def _staff_only(user: User):
    if user.username == "manager":
        return User.objects.filter(customer__isnull=True)
    return NONE


def _sales_reference(user: User):
    """Courses, campuses, classes and tags: every sales and manager sees them."""
    if user.username.startswith("sales_") or user.username == "manager":
        return ALL
    return NONE


def _priced_reference(user: User):
    """Courses and campuses: the sales' reference, and finance's (prices)."""
    return ALL if user.username == "finance" else _sales_reference(user)


def _nobody(user: User):
    return NONE


def _manager_only(user: User):
    return ALL if user.username == "manager" else NONE


_lessons = _through("class_list", ClassList, _taught_classes)


def _trials(user: User):
    if user.username == "teacher":
        return Q(session__class_list__in=ClassList.objects.filter(teachers=user))
    return _through("customer", Customer, _customers)(user)


_questions = _through("class_list", ClassList, _taught_classes)


# model label -> user -> ALL, NONE, a Q or a queryset of the rows in scope.
EXPECTED = {
    "accounts.user": _staff_only,
    "accounts.role": _nobody,
    "accounts.menu": _nobody,
    "accounts.notification": _nobody,
    # API tokens in kingadmin: administrators (each user has the tokens page).
    "api.apitoken": _nobody,
    "crm.branch": _priced_reference,
    "crm.course": _priced_reference,
    "crm.tag": _sales_reference,
    "crm.classlist": _taught_classes,
    "crm.contracttemplate": _nobody,
    "crm.customer": _customers,
    "crm.customerfollowup": _through("customer", Customer, _customers),
    "crm.enrollment": _enrollments,
    "crm.enrollmentdocument": _through("enrollment", Enrollment, _enrollments),
    "crm.payment": _through("enrollment", Enrollment, _enrollments),
    # Links are seen on the customer's page; nobody but admins lists them.
    "crm.enrollmentlink": _nobody,
    # Who gets new leads: the sales manager sets the rules.
    "crm.assignmentrule": _manager_only,
    # The log of lead imports: for the school's administrators for now.
    "crm.leadimport": _nobody,
    # Public lead forms and what came in through them: the manager runs the
    # campaigns (every campus); sales see a lead's submissions on its page.
    "crm.leadform": _manager_only,
    "crm.leadsubmission": _manager_only,
    # The merge log: the manager, who merges duplicates (every customer).
    "crm.customermerge": _manager_only,
    # Who saw personal data: for the school's administrators only.
    "crm.personaldataaccess": _nobody,
    # The queue's bookkeeping: for the school's administrators only.
    "django_tasks_database.dbtaskresult": _nobody,
    "jobs.workerbeat": _nobody,
    "jobs.periodicrun": _nobody,
    # Who exported what: for administrators (each user sees their own exports
    # on their export pages, jobs/views.py).
    "jobs.export": _nobody,
    "teacher.courserecord": _teacher_only(_lessons),
    "teacher.studyrecord": _teacher_only(
        _through("course_record", CourseRecord, _lessons)
    ),
    "student.question": _teacher_only(_questions),
    "student.answer": _teacher_only(_through("question", Question, _questions)),
    # The tuition ledger in kingadmin: administrators only; the other roles
    # read accounts on the finance pages (finance/views.py, their own tests).
    "finance.ledgerentry": _nobody,
    "finance.contractterms": _nobody,
    "finance.refundpolicy": _nobody,
    "finance.instalment": _nobody,
    "finance.receipt": _nobody,
    "finance.refundrequest": _nobody,
    "finance.transfer": _nobody,
    "finance.suspension": _nobody,
    # Rooms, closed days and schedules: the administrators' planning.
    "timetable.room": _nobody,
    "timetable.holiday": _nobody,
    "timetable.schedule": _nobody,
    # Sessions follow their class: a teacher lists those of the classes taught.
    "timetable.classsession": _teacher_only(_lessons),
    # Trial lessons: a sales sees those of the leads they see, a teacher
    # those in sessions of the classes taught.
    "timetable.triallesson": _trials,
    # Webhooks (their signing secrets, what was sent): administrators only.
    "webhooks.webhooksubscription": _nobody,
    "webhooks.webhookdelivery": _nobody,
}


def _own_customers_only(user: User):
    if user.username.startswith("sales_"):
        return _sales_customers(user)
    return _customers(user)


# Exports narrower than the list: a sales works the public pool of stale
# leads on the list but exports only their own customers.
EXPECTED_EXPORT = {"crm.customer": _own_customers_only}


def expected_rows(model: type[Model], user: User, *, export: bool = False) -> set:
    """Return the primary keys of ``model`` that ``user`` may see (or export)."""
    manager = model._default_manager
    if user.is_superuser:
        return set(manager.values_list("pk", flat=True))
    label = model._meta.label_lower
    expect = (EXPECTED_EXPORT if export else EXPECTED).get(label, EXPECTED[label])
    rows = expect(user)
    if rows is ALL:
        return set(manager.values_list("pk", flat=True))
    if rows is NONE:
        return set()
    if isinstance(rows, Q):
        rows = manager.filter(rows)
    return set(rows.values_list("pk", flat=True))


@pytest.fixture
def world(demo):
    """The demo school plus fresh and stale leads of several sales, with children."""
    now = timezone.now()
    s9 = ClassList.objects.get(name=PYTHON_S9)
    shanghai = Branch.objects.get(name=SHANGHAI)
    linux = ClassList.objects.filter(branch=shanghai).first() or s9
    for owner, klass in (("sales_a", s9), ("sales_b", s9), ("sales_c", linux)):
        user = demo[owner]
        fresh = CustomerFactory(name=f"{owner} fresh", consultant=user)
        FollowUpFactory(customer=fresh, content=f"private note of {owner}")
        link, _token = enrollment_link_create(customer=fresh, class_list=klass, by=user)
        enrollment = link.enrollment
        PaymentFactory(enrollment=enrollment, consultant=user)
        EnrollmentDocument.objects.create(
            enrollment=enrollment,
            file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="id.pdf"),
            original_name=f"{owner} 身份证.pdf",
            size=15,
            content_type="application/pdf",
        )
        # A lead of this sales nobody followed up for two months: public.
        CustomerFactory(
            name=f"{owner} stale",
            consultant=user,
            created_at=now - timedelta(days=60),
            last_activity_at=now - timedelta(days=60),
        )
    customers_fall_back()
    api_token_create(user=demo["sales_a"], name="官网", days=30, by=demo["sales_a"])
    subscription = WebhookSubscription.objects.create(
        name="Accounting",
        url="https://books.example.com/hooks",
        events=["payment.recorded"],
        created_by=demo["admin"],
    )
    WebhookDelivery.objects.create(
        subscription=subscription, event="payment.recorded", payload={"id": 1}
    )
    return demo


def _list_pks(client, admin, status) -> set | None:
    """Return the pks every page of the list shows, or None when refused."""
    url = admin.url("changelist")
    response = client.get(url, {"per_page": 200})
    status.append(response.status_code)
    if response.status_code == 403:
        return None
    assert response.status_code == 200, url
    shown = set()
    changelist = response.context["cl"]
    for number in range(1, changelist.num_pages + 1):
        page = client.get(url, {"per_page": 200, "p": number})
        shown |= {row.obj.pk for row in page.context["rows"]}
    return shown


def _export_count(client, admin) -> int | None:
    response = client.get(admin.url("export"), {"format": "csv"})
    if response.status_code == 403:
        return None
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return len(list(csv.reader(io.StringIO(text)))) - 1


def _offered_choices(form) -> dict[str, tuple[type[Model], set]]:
    """Return, per editable relation field, the related model and offered pks."""
    offered = {}
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is None or field.disabled:
            continue
        offered[name] = (queryset.model, set(queryset.values_list("pk", flat=True)))
    return offered


def _assert_choices_in_scope(response, user, where):
    form = response.context.get("form")
    if form is None:
        return
    for name, (related, pks) in _offered_choices(form).items():
        allowed = expected_rows(related, user)
        assert pks <= allowed, (
            f"{where}: the field {name!r} offers {related._meta.label} rows "
            f"{sorted(pks - allowed)} that {user.username} may not see"
        )


def _assert_filters_in_scope(response, user, where):
    changelist = response.context["cl"]
    for spec in changelist.filters:
        if not isinstance(spec, RelatedFieldListFilter):
            continue
        offered = {
            spec.field.target_field.to_python(value)
            for value, _label in spec.options_list
            if value != "__empty__"
        }
        allowed = expected_rows(spec.field.related_model, user)
        assert offered <= allowed, (
            f"{where}: the filter {spec.field_path!r} offers rows "
            f"{sorted(offered - allowed)} that {user.username} may not see"
        )


def test_every_registered_model_has_an_expectation():
    registered = {model._meta.label_lower for model in site._registry}
    assert registered == set(EXPECTED), (
        "Declare who may see the rows of each kingadmin model in EXPECTED: "
        f"missing {sorted(registered - set(EXPECTED))}, "
        f"stale {sorted(set(EXPECTED) - registered)}"
    )


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_page_shows_only_rows_in_scope(client, world, username):
    user = world[username]
    client.force_login(user)
    for model, admin in site._registry.items():
        label = model._meta.label_lower
        allowed = expected_rows(model, user)
        status = []
        shown = _list_pks(client, admin, status)
        if shown is None:
            assert not allowed, f"{label}: {username} is refused rows in scope"
        else:
            assert shown == allowed, (
                f"{label} list of {username}: extra {sorted(shown - allowed)}, "
                f"missing {sorted(allowed - shown)}"
            )
            listed = client.get(admin.url("changelist"))
            _assert_filters_in_scope(listed, user, f"{label} list")
        exported = _export_count(client, admin)
        exportable = expected_rows(model, user, export=True)
        if exported is None:
            assert not exportable, f"{label}: {username} may not export rows in scope"
        else:
            assert exported == len(exportable), f"{label} export of {username}"

        everything = list(model._default_manager.values_list("pk", flat=True))
        inside = [pk for pk in everything if pk in allowed][:3]
        outside = [pk for pk in everything if pk not in allowed][:3]
        for pk in outside:
            for page in ("change", "history", "delete"):
                response = client.get(admin.url(page, pk))
                assert response.status_code == 403, (
                    f"{label} {page} {pk} is {response.status_code} for {username}"
                )
        for pk in inside:
            response = client.get(admin.url("change", pk))
            if response.status_code == 200:
                _assert_choices_in_scope(response, user, f"{label} change {pk}")
            else:
                # Listing a row does not imply opening it (e.g. a rule that
                # only lists); it is never a server error.
                assert response.status_code == 403, (label, pk, username)

        added = client.get(admin.url("add"))
        if added.status_code == 200:
            _assert_choices_in_scope(added, user, f"{label} add")
        else:
            assert added.status_code == 403, (label, username)


def test_sales_a_sees_nothing_of_sales_b_fresh_customers(client, world):
    """The leaks of the issue, named: follow-ups, payments, documents, enrollments."""
    fresh = Customer.objects.get(name="sales_b fresh")
    enrollment = Enrollment.objects.get(customer=fresh)
    client.force_login(world["sales_a"])
    pages = {
        "/kingadmin/crm/customerfollowup/": CustomerFollowUp.objects.filter(
            customer=fresh
        ),
        "/kingadmin/crm/payment/": Payment.objects.filter(enrollment=enrollment),
        "/kingadmin/crm/enrollmentdocument/": EnrollmentDocument.objects.filter(
            enrollment=enrollment
        ),
        "/kingadmin/crm/enrollment/": Enrollment.objects.filter(pk=enrollment.pk),
    }
    for url, rows in pages.items():
        foreign = set(rows.values_list("pk", flat=True))
        assert foreign, url
        listed = client.get(url, {"per_page": 200})
        assert not foreign & {row.obj.pk for row in listed.context["rows"]}, url
        html = listed.content.decode()
        assert "sales_b" not in html, url
        export = client.get(url + "export/", {"format": "csv"})
        text = b"".join(export.streaming_content).decode("utf-8-sig")
        assert "sales_b" not in text and "private note" not in text, url
        for pk in foreign:
            assert client.get(f"{url}{pk}/change/").status_code == 403, url
    # Payments are recorded on the account page (finance), never added here.
    assert client.get("/kingadmin/crm/payment/add/").status_code == 403


def test_sales_never_choose_the_consultant_or_status_of_a_new_lead(client, world):
    sales_a, sales_b = world["sales_a"], world["sales_b"]
    client.force_login(sales_a)
    response = client.post(
        "/kingadmin/crm/customer/add/",
        {
            "name": "王小明",
            "qq": "987654321",
            "source": "qq_group",
            "consultant": sales_b.pk,
            "status": "enrolled",
            "_save": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "consultant" in errors and "read-only" in str(errors["consultant"])
    assert not Customer.objects.filter(qq="987654321").exists()
    # Without the tampered values the lead is the sales' own and not enrolled.
    response = client.post(
        "/kingadmin/crm/customer/add/",
        {"name": "王小明", "qq": "987654321", "source": "qq_group", "_save": ""},
    )
    assert response.status_code == 302
    lead = Customer.objects.get(qq="987654321")
    assert (lead.consultant, lead.status) == (sales_a, "not_enrolled")


def test_enrollment_review_is_scoped_by_the_reviewers_campus(client, world):
    """The manager (Beijing) reviews Beijing enrollments only; admins every one."""
    beijing = Enrollment.objects.get(customer__name="sales_a fresh")
    shanghai_class = ClassList.objects.exclude(branch=beijing.class_list.branch)
    other = Enrollment.objects.get(customer__name="sales_c fresh")
    if not shanghai_class.filter(pk=other.class_list_id).exists():
        pytest.skip("the demo data has no class outside Beijing")
    Enrollment.objects.filter(pk__in=[beijing.pk, other.pk]).update(
        state="submitted", submitted_at=timezone.now()
    )
    client.force_login(world["manager"])
    assert client.get(f"/crm/enrollments/{beijing.pk}/").status_code == 200
    assert client.get(f"/crm/enrollments/{other.pk}/").status_code == 403
    document = other.documents.get()
    assert (
        client.get(f"/crm/enrollments/{other.pk}/documents/{document.pk}/").status_code
        == 403
    )
    queue = client.get("/kingadmin/crm/enrollment/", {"state": "submitted"})
    assert {row.obj for row in queue.context["rows"]} == {beijing}
    client.force_login(world["admin"])
    assert client.get(f"/crm/enrollments/{other.pk}/").status_code == 200


def test_the_rules_name_every_model_scoped_through_a_parent():
    """Children inherit from the model their expectation names (documentation)."""
    from kingadmin.permissions import registry

    for model, path in (
        (CustomerFollowUp, "customer"),
        (Enrollment, "customer"),
        (EnrollmentDocument, "enrollment"),
        (Payment, "enrollment"),
        (CourseRecord, "class_list"),
        (StudyRecord, "course_record"),
        (Question, "class_list"),
        (Answer, "question"),
        (TrialLesson, "customer"),
    ):
        assert registry.scope_parent(model)[0] == path
    for model in (Customer, User, Role, Menu, Notification):
        assert registry.scope_parent(model) is None


def test_pages_link_only_where_the_rules_would_open(client, world):
    """No review link for a sales; the index link where the index opens."""
    fresh = Customer.objects.get(name="sales_a fresh")
    Enrollment.objects.filter(customer=fresh).update(
        state="submitted", submitted_at=timezone.now()
    )
    enrollment = Enrollment.objects.get(customer=fresh)
    review = f"/crm/enrollments/{enrollment.pk}/"
    client.force_login(world["sales_a"])
    html = client.get(f"/crm/customers/{fresh.pk}/").content.decode()
    assert review not in html
    assert client.get(review).status_code == 403
    listed = client.get("/kingadmin/crm/customer/").content.decode()
    # Viewing a list opens the index too: the breadcrumb links it.
    assert client.get("/kingadmin/").status_code == 200
    assert 'href="/kingadmin/"' in listed
    client.force_login(world["student"])
    assert client.get("/kingadmin/").status_code == 403
    client.force_login(world["manager"])
    html = client.get(f"/crm/customers/{fresh.pk}/").content.decode()
    assert review in html

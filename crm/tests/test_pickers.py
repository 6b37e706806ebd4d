"""Issue 10: the consultant and teacher pickers list members of the role only.

The customer list's consultant filter and the lead form's consultant offer
the sales; a class's teachers are picked among the teachers; students and
other staff are never offered, and the pages do not grow with the number
of student accounts (the bench, bench/pickers.py, covers 100,000).
"""

import json

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role, User
from crm.models import Customer
from kingadmin.filters import RELATED_CHOICES_LIMIT, RelatedFieldListFilter
from tests.factories import (
    ClassListFactory,
    CourseFactory,
    CustomerFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CUSTOMERS = "/kingadmin/crm/customer/"


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def school(db):
    """Sales, a manager, a teacher, a reviewer, an account without role, students."""
    sales_role = RoleFactory(
        name="Sales", permissions=[permission("crm.view_own_customers")]
    )
    manager_role = RoleFactory(
        name="Sales manager",
        permissions=[
            permission("crm.view_customer"),
            permission("crm.change_customer"),
            permission("accounts.view_staff_users"),
        ],
    )
    teacher_role = RoleFactory(
        name="Teacher", permissions=[permission("teacher.use_teacher_portal")]
    )
    reviewer_role = RoleFactory(
        name="Reviewer", permissions=[permission("crm.review_enrollments")]
    )
    student_role = RoleFactory(
        name="Student", permissions=[permission("student.use_student_portal")]
    )
    people = {
        "sales_a": UserFactory(username="sales_a", display_name="Sales A"),
        "sales_b": UserFactory(username="sales_b", display_name="Sales B"),
        "manager": UserFactory(username="manager", display_name="Manager M"),
        "teacher": UserFactory(username="teacher", display_name="Teacher T"),
        "reviewer": UserFactory(username="reviewer", display_name="Reviewer R"),
        "no_role": UserFactory(username="no_role", display_name="No Role"),
        "student": UserFactory(username="student", display_name="Student S"),
        "admin": User.objects.create_superuser("admin", "admin@example.com", "pw-1"),
    }
    people["sales_a"].roles.set([sales_role])
    people["sales_b"].roles.set([sales_role])
    people["manager"].roles.set([sales_role, manager_role])
    people["teacher"].roles.set([teacher_role])
    people["reviewer"].roles.set([reviewer_role])
    people["student"].roles.set([student_role])
    CustomerFactory(name="Lead of A", consultant=people["sales_a"])
    CustomerFactory(
        name="Student's record", consultant=people["sales_b"], user=people["student"]
    )
    people["roles"] = {"sales": sales_role, "student": student_role}
    return people


def consultant_filter(response) -> RelatedFieldListFilter:
    [spec] = [
        spec
        for spec in response.context["cl"].filters
        if getattr(spec, "field_path", None) == "consultant"
    ]
    return spec


def labels(spec) -> list[str]:
    return [label for _value, label in spec.options_list]


def add_students(count: int, *, role: Role, consultant: User) -> None:
    """Create ``count`` student accounts with their customer records, fast."""
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(
            username=f"stu{start + n:06d}",
            display_name=f"学员{start + n}",
            password="!",
        )
        for n in range(count)
    )
    User.roles.through.objects.bulk_create(
        User.roles.through(user_id=user.pk, role_id=role.pk) for user in users
    )
    Customer.objects.bulk_create(
        Customer(
            name=user.display_name,
            phone=f"139{user.pk:08d}",
            consultant=consultant,
            status=Customer.Status.ENROLLED,
            user=user,
        )
        for user in users
    )


# --------------------------------------------------------------- consultants


@pytest.mark.parametrize("viewer", ["admin", "manager"])
def test_the_consultant_filter_lists_only_the_sales(client, school, viewer):
    client.force_login(school[viewer])
    spec = consultant_filter(client.get(CUSTOMERS))
    assert labels(spec) == ["Manager M", "Sales A", "Sales B"]
    assert not spec.truncated and not spec.searchable


def test_filtering_by_a_consultant_keeps_their_leads(client, school):
    client.force_login(school["admin"])
    response = client.get(CUSTOMERS, {"consultant": school["sales_a"].pk})
    assert [row.obj.name for row in response.context["rows"]] == ["Lead of A"]
    # Another account is no consultant to filter by: ignored.
    response = client.get(CUSTOMERS, {"consultant": school["teacher"].pk})
    assert consultant_filter(response).value is None
    assert len(response.context["rows"]) == 2


def test_the_lead_form_offers_only_the_sales_and_refuses_anybody_else(client, school):
    client.force_login(school["admin"])
    form = client.get(f"{CUSTOMERS}add/").context["form"]
    assert {str(user) for user in form.fields["consultant"].queryset} == {
        "Manager M",
        "Sales A",
        "Sales B",
    }
    post = {
        "name": "Walk-in",
        "phone": "13700000001",
        "source": "referral",
        "consult_course": CourseFactory().pk,
        "_save": "",
    }
    for other in ("teacher", "student", "no_role", "reviewer"):
        response = client.post(
            f"{CUSTOMERS}add/", {**post, "consultant": school[other].pk}
        )
        assert "consultant" in response.context["form"].errors, other
    assert not Customer.objects.filter(name="Walk-in").exists()
    response = client.post(
        f"{CUSTOMERS}add/", {**post, "consultant": school["sales_b"].pk}
    )
    assert response.status_code == 302
    assert Customer.objects.get(name="Walk-in").consultant == school["sales_b"]


def test_the_consultant_autocomplete_returns_only_the_sales(client, school):
    client.force_login(school["manager"])
    response = client.get(
        f"{CUSTOMERS}autocomplete/", {"field": "consultant", "term": "s"}
    )
    texts = [row["text"] for row in json.loads(response.content)["results"]]
    assert texts == ["Sales A", "Sales B"]


def test_many_sales_get_a_bounded_filter_with_a_search_box(client, school):
    sales_role = school["roles"]["sales"]
    extra = User.objects.bulk_create(
        User(username=f"seller{n:03d}", display_name=f"Seller {n:03d}", password="!")
        for n in range(RELATED_CHOICES_LIMIT + 10)
    )
    User.roles.through.objects.bulk_create(
        User.roles.through(user_id=user.pk, role_id=sales_role.pk) for user in extra
    )
    last = extra[-1]
    CustomerFactory(name="Lead of the last seller", consultant=last)
    client.force_login(school["admin"])

    response = client.get(CUSTOMERS)
    spec = consultant_filter(response)
    assert len(spec.options_list) == RELATED_CHOICES_LIMIT
    assert spec.truncated and spec.searchable
    html = response.content.decode()
    assert 'name="consultant__term"' in html
    assert "search to find the others" in html

    # The search narrows the options with UserAdmin's search fields.
    response = client.get(CUSTOMERS, {"consultant__term": "Seller 209"})
    spec = consultant_filter(response)
    assert labels(spec) == ["Seller 209"]
    assert not spec.truncated and spec.searchable
    assert 'value="Seller 209"' in response.content.decode()
    assert response.context["cl"].ignored == []

    # A consultant past the limit is accepted (and shown) without a search.
    response = client.get(CUSTOMERS, {"consultant": last.pk})
    spec = consultant_filter(response)
    assert spec.value == str(last.pk)
    assert labels(spec)[0] == "Seller 209"
    assert [row.obj.name for row in response.context["rows"]] == [
        "Lead of the last seller"
    ]


def test_a_search_with_no_match_keeps_the_filter_and_its_box(client, school):
    client.force_login(school["admin"])
    response = client.get(CUSTOMERS, {"consultant__term": "nobody at all"})
    spec = consultant_filter(response)
    assert spec.options_list == [] and spec.searchable
    assert len(response.context["rows"]) == 2


# ------------------------------------------------------------------ teachers


def test_the_teacher_picker_lists_only_teachers(client, school):
    klass = ClassListFactory(name="Python S9")
    client.force_login(school["admin"])
    url = f"/kingadmin/crm/classlist/{klass.pk}/change/"
    response = client.get(url)
    field = response.context["form"].fields["teachers"]
    assert [str(user) for user in field.queryset] == ["Teacher T"]
    html = response.content.decode()
    for name in ("Student S", "Sales A", "No Role", "Reviewer R"):
        assert name not in html
    found = client.get(
        "/kingadmin/crm/classlist/autocomplete/", {"field": "teachers", "term": "t"}
    )
    assert [row["text"] for row in json.loads(found.content)["results"]] == [
        "Teacher T"
    ]


def test_a_class_saved_with_a_student_as_teacher_is_refused(client, school):
    klass = ClassListFactory(name="Linux 40")
    client.force_login(school["admin"])
    url = f"/kingadmin/crm/classlist/{klass.pk}/change/"
    data = {
        "name": klass.name,
        "branch": klass.branch_id,
        "course": klass.course_id,
        "class_type": klass.class_type,
        "semester": klass.semester,
        "start_date": klass.start_date.isoformat(),
        "end_date": klass.end_date.isoformat(),
        "contract_template": klass.contract_template_id,
        "_save": "",
    }
    response = client.post(url, {**data, "teachers": [school["student"].pk]})
    assert "teachers" in response.context["form"].errors
    assert not klass.teachers.exists()
    response = client.post(url, {**data, "teachers": [school["teacher"].pk]})
    assert response.status_code == 302
    assert list(klass.teachers.all()) == [school["teacher"]]


# --------------------------------------------------------------- query counts


def test_the_customer_list_and_class_page_do_not_grow_with_students(
    client, school, django_assert_max_num_queries
):
    klass = ClassListFactory(name="Go S1", teachers=[school["teacher"]])
    client.force_login(school["admin"])
    pages = [CUSTOMERS, f"/kingadmin/crm/classlist/{klass.pk}/change/"]

    def measure():
        sizes = []
        for page in pages:
            client.get(page)  # the session keeps the menu from then on
            with django_assert_max_num_queries(15) as captured:
                response = client.get(page)
            assert response.status_code == 200
            sizes.append((len(captured), len(response.content)))
        return sizes

    few = measure()
    add_students(2000, role=school["roles"]["student"], consultant=school["sales_a"])
    many = measure()
    # The same queries; no page lists the accounts: the class page is as
    # large as before, the list shows 25 rows and the same three consultants.
    assert [queries for queries, _size in many] == [queries for queries, _size in few]
    assert abs(many[1][1] - few[1][1]) < 100
    assert labels(consultant_filter(client.get(CUSTOMERS))) == [
        "Manager M",
        "Sales A",
        "Sales B",
    ]
    assert "学员1999" not in client.get(pages[1]).content.decode()

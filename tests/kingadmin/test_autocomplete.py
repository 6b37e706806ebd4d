"""The autocomplete endpoint and widget: members only, rows in scope, hostile input.

``/kingadmin/<app>/<model>/autocomplete/?field=<name>&term=...`` on the CRM's
own declarations (class teachers, a lead's consultant) and, for the generic
parts, on autocomplete fields switched on for one test.
"""

import json

import pytest
from django import forms
from django.test import RequestFactory
from pytest_django.asserts import assertInHTML

from accounts.models import User
from crm.models import ClassList, Customer, CustomerFollowUp
from kingadmin.autocomplete import RESULTS_LIMIT
from kingadmin.sites import site
from kingadmin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from tests.factories import (
    ClassListFactory,
    CustomerFactory,
    RoleFactory,
    UserFactory,
)
from tests.kingadmin.conftest import perms

pytestmark = pytest.mark.django_db

TEACHERS = "/kingadmin/crm/classlist/autocomplete/"
CONSULTANTS = "/kingadmin/crm/customer/autocomplete/"


@pytest.fixture
def roles(db):
    return {
        "teacher": RoleFactory(
            name="Teacher", permissions=perms("teacher.use_teacher_portal")
        ),
        "sales": RoleFactory(name="Sales", permissions=perms("crm.view_own_customers")),
        "student": RoleFactory(
            name="Student", permissions=perms("student.use_student_portal")
        ),
    }


@pytest.fixture
def people(roles):
    """A teacher, a sales and a student (an account with a customer record)."""
    teacher = UserFactory(username="alex", display_name="Alex Teacher")
    teacher.roles.set([roles["teacher"]])
    sales = UserFactory(username="sam", display_name="Sam Sales")
    sales.roles.set([roles["sales"]])
    student = UserFactory(username="alexia", display_name="Alexia Student")
    student.roles.set([roles["student"]])
    CustomerFactory(name="Alexia", user=student, consultant=sales)
    return {"teacher": teacher, "sales": sales, "student": student}


def results(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return [row["text"] for row in json.loads(response.content)["results"]]


def payload(response) -> dict:
    assert response.status_code == 200
    return json.loads(response.content)


# -------------------------------------------------------------- permissions


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(TEACHERS, {"field": "teachers"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_without_an_add_or_change_rule_the_endpoint_is_refused(
    client, user_with, people
):
    viewer = user_with("crm.view_classlist", "accounts.view_user")
    client.force_login(viewer)
    assert client.get(TEACHERS, {"field": "teachers"}).status_code == 403


@pytest.mark.parametrize("rule", ["crm.add_classlist", "crm.change_classlist"])
def test_the_add_or_the_change_rule_allows_it(client, user_with, people, rule):
    client.force_login(user_with(rule, "accounts.view_user"))
    assert results(client.get(TEACHERS, {"field": "teachers"})) == ["Alex Teacher"]


def test_only_get_is_allowed(client, superuser):
    client.force_login(superuser)
    response = client.post(f"{TEACHERS}?field=teachers", {"term": "a"})
    assert response.status_code == 405


def test_a_user_who_may_view_no_accounts_is_offered_none(client, user_with, people):
    client.force_login(user_with("crm.change_classlist"))
    assert results(client.get(TEACHERS, {"field": "teachers"})) == []


def test_rows_the_user_may_not_view_are_never_returned(client, user_with, people):
    # Managers see staff accounts only (no customer record): a sales who is
    # also a student is a member of the role but not a row they may view.
    manager = user_with("crm.change_customer", "accounts.view_staff_users")
    both = people["student"]
    both.roles.add(people["sales"].roles.get())
    client.force_login(manager)
    assert results(client.get(CONSULTANTS, {"field": "consultant"})) == ["Sam Sales"]


def test_row_rules_of_the_related_model_apply(client, user_with, monkeypatch):
    # A sales adding a follow-up may pick among their own customers only.
    admin = site.get_model_admin(CustomerFollowUp)
    monkeypatch.setattr(admin, "autocomplete_fields", ("customer",))
    sales = user_with("crm.view_own_customers", "crm.add_customerfollowup")
    CustomerFactory(name="Mine", consultant=sales)
    CustomerFactory(name="Theirs")
    client.force_login(sales)
    url = "/kingadmin/crm/customerfollowup/autocomplete/"
    assert results(client.get(url, {"field": "customer"})) == ["Mine"]
    assert results(client.get(url, {"field": "customer", "term": "Theirs"})) == []


def test_a_field_the_user_may_not_choose_is_refused(client, user_with, people):
    # Without a view rule on accounts the consultant is read-only (the user).
    client.force_login(user_with("crm.change_customer"))
    assert client.get(CONSULTANTS, {"field": "consultant"}).status_code == 403


# ---------------------------------------------------------- what is returned


def test_only_members_of_the_role_are_returned(client, superuser, people):
    UserFactory(username="alexander", display_name="Alexander Nobody")
    client.force_login(superuser)
    assert results(client.get(TEACHERS, {"field": "teachers", "term": "ale"})) == [
        "Alex Teacher"
    ]
    assert results(client.get(CONSULTANTS, {"field": "consultant"})) == ["Sam Sales"]


def test_inactive_members_are_not_returned(client, superuser, people):
    people["teacher"].is_active = False
    people["teacher"].save()
    client.force_login(superuser)
    assert results(client.get(TEACHERS, {"field": "teachers"})) == []


def test_results_are_ids_and_labels(client, superuser, people):
    client.force_login(superuser)
    data = payload(client.get(TEACHERS, {"field": "teachers"}))
    assert data == {
        "results": [{"id": str(people["teacher"].pk), "text": "Alex Teacher"}],
        "more": False,
    }


def test_at_most_twenty_results_and_a_flag_when_more_match(client, superuser, roles):
    for n in range(RESULTS_LIMIT + 5):
        UserFactory(username=f"t{n:02d}", display_name=f"Teacher {n:02d}").roles.set(
            [roles["teacher"]]
        )
    client.force_login(superuser)
    data = payload(client.get(TEACHERS, {"field": "teachers"}))
    assert len(data["results"]) == RESULTS_LIMIT and data["more"] is True
    # UserAdmin's ordering (username): the first twenty.
    assert [r["text"] for r in data["results"]][:2] == ["Teacher 00", "Teacher 01"]
    data = payload(client.get(TEACHERS, {"field": "teachers", "term": "Teacher 2"}))
    assert [r["text"] for r in data["results"]] == [
        "Teacher 02",
        "Teacher 12",
        "Teacher 20",
        "Teacher 21",
        "Teacher 22",
        "Teacher 23",
        "Teacher 24",
    ]
    assert data["more"] is False


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("alex", ["Alex Teacher"]),
        ("ALEX", ["Alex Teacher"]),
        ("  alex  ", ["Alex Teacher"]),
        ("teacher alex", ["Alex Teacher"]),
        ("alex@example.com", ["Alex Teacher"]),
        ("sam", []),
        ("nobody", []),
        ("", ["Alex Teacher"]),
    ],
)
def test_the_term_is_searched_with_the_related_admins_search_fields(
    client, superuser, people, term, expected
):
    client.force_login(superuser)
    assert results(client.get(TEACHERS, {"field": "teachers", "term": term})) == (
        expected
    )


def test_the_same_search_as_the_related_list_with_its_own_get_search_results(
    client, superuser, monkeypatch, user_with
):
    # CustomerAdmin finds "138-0000-0001" as the stored 13800000001.
    admin = site.get_model_admin(CustomerFollowUp)
    monkeypatch.setattr(admin, "autocomplete_fields", ("customer",))
    CustomerFactory(name="Phoned", phone="13800000001")
    CustomerFactory(name="Other", phone="13900000002")
    client.force_login(superuser)
    url = "/kingadmin/crm/customerfollowup/autocomplete/"
    assert results(client.get(url, {"field": "customer", "term": "138-0000-0001"})) == [
        "Phoned"
    ]


# ------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"field": ""},
        {"field": "nope"},
        {"field": "branch"},  # a relation, but not an autocomplete field
        {"field": "name"},
        {"field": "teachers\x00"},
        {"field": "teachers__password"},
        {"field": "pk"},
        {"field": "__class__"},
        {"field": "Teachers"},
    ],
)
def test_any_other_field_is_not_found(client, superuser, params):
    client.force_login(superuser)
    assert client.get(TEACHERS, params).status_code == 404


@pytest.mark.parametrize(
    "term",
    [
        "\x00",
        "a\x00b",
        "%",
        "_",
        "\\",
        "'; DROP TABLE accounts_user; --",
        "x" * 10_000,
        "😀",
        "ａｌｅｘ",
        " " * 50,
        "a b c d e f g h i j k l m n o p",
    ],
)
def test_hostile_terms_never_fail(client, superuser, people, term):
    client.force_login(superuser)
    response = client.get(TEACHERS, {"field": "teachers", "term": term})
    assert response.status_code == 200
    assert all(text == "Alex Teacher" for text in results(response))


def test_repeated_and_unknown_parameters_are_harmless(client, superuser, people):
    client.force_login(superuser)
    response = client.get(
        f"{TEACHERS}?field=nope&field=teachers&term=zzz&term=alex&page=-1&o=password"
    )
    assert results(response) == ["Alex Teacher"]


def test_a_model_that_is_not_registered_is_not_found(client, superuser):
    client.force_login(superuser)
    response = client.get("/kingadmin/auth/group/autocomplete/", {"field": "x"})
    assert response.status_code == 404


# ------------------------------------------------------------------ widget


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_form_field_renders_only_the_chosen_rows(superuser, people, roles):
    for n in range(30):
        UserFactory(username=f"t{n:02d}").roles.set([roles["teacher"]])
    klass = ClassListFactory(teachers=[people["teacher"]])
    admin = site.get_model_admin(ClassList)
    form = admin.get_form(request_of(superuser), klass)(instance=klass)
    field = form.fields["teachers"]
    assert isinstance(field.widget, AutocompleteSelectMultiple)
    html = str(form["teachers"])
    assert html.count("<option") == 1
    assertInHTML(
        f'<option value="{people["teacher"].pk}" selected>Alex Teacher</option>', html
    )
    assert "data-autocomplete" in html
    assert f'data-url="{TEACHERS}?field=teachers"' in html
    # The field's choices are all the teachers, for validation.
    assert field.queryset.count() == 31


def test_a_single_optional_select_offers_the_empty_choice_and_the_chosen_row():
    class Form(forms.Form):
        user = forms.ModelChoiceField(
            queryset=User.objects.all(),
            required=False,
            widget=AutocompleteSelect("/x/?field=user", "user"),
        )

    alex = UserFactory(display_name="Alex")
    UserFactory(display_name="Other")
    html = str(Form(initial={"user": alex.pk})["user"])
    assert html.count("<option") == 2
    assertInHTML('<option value=""></option>', html)
    assertInHTML(f'<option value="{alex.pk}" selected>Alex</option>', html)


@pytest.mark.parametrize(
    "posted",
    [["abc"], ["1.5"], ["99999999999999999999999"], ["-1"], ["", "\x00"], ["²"]],
)
def test_an_invalid_post_is_shown_again_without_a_server_error(
    superuser, people, posted
):
    klass = ClassListFactory()
    admin = site.get_model_admin(ClassList)
    Form = admin.get_form(request_of(superuser), klass)
    form = Form({"teachers": posted}, instance=klass)
    assert not form.is_valid()
    assert "teachers" in form.errors
    assert "<option" not in str(form["teachers"])


def test_labels_reach_the_script_escaped_once():
    widget = AutocompleteSelectMultiple("/x/?field=tags", "R&D <tags>")
    html = widget.render("tags", [], {"id": "id_tags"})
    assert 'data-label-chosen="Chosen R&amp;D &lt;tags&gt;"' in html
    assert 'data-label-remove="Remove %(item)s"' in html
    assert 'data-label-count="Matches: %(count)s"' in html
    assert 'data-multiple="true"' in html


def test_the_widget_media_is_a_static_script_and_stylesheet():
    media = str(AutocompleteSelect("/x/", "user").media)
    assert "kingadmin/js/autocomplete.js" in media
    assert "kingadmin/css/autocomplete.css" in media
    assert "<script>" not in media.replace("<script src", "")


def test_the_form_refuses_a_posted_id_outside_the_choices(client, superuser, people):
    klass = ClassListFactory(name="Go S1")
    client.force_login(superuser)
    url = f"/kingadmin/crm/classlist/{klass.pk}/change/"
    form = client.get(url).context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in {"teachers"} and value is not None
    }
    data.update(
        {
            "branch": klass.branch_id,
            "course": klass.course_id,
            "contract_template": klass.contract_template_id,
            "start_date": klass.start_date.isoformat(),
            "end_date": klass.end_date.isoformat(),
            "_save": "",
        }
    )
    response = client.post(url, {**data, "teachers": [people["student"].pk]})
    assert response.status_code == 200
    assert "teachers" in response.context["form"].errors
    assert not klass.teachers.exists()
    response = client.post(url, {**data, "teachers": [people["teacher"].pk]})
    assert response.status_code == 302
    assert list(klass.teachers.all()) == [people["teacher"]]


def test_a_stored_value_that_no_longer_qualifies_is_kept_on_save(
    client, superuser, people
):
    # The teacher left the role: the class still names them; saving another
    # field must not drop them silently, nor refuse the form.
    former = UserFactory(display_name="Former Teacher")
    klass = ClassListFactory(name="Linux 40", teachers=[former, people["teacher"]])
    client.force_login(superuser)
    url = f"/kingadmin/crm/classlist/{klass.pk}/change/"
    html = client.get(url).content.decode()
    assert "Former Teacher" in html
    data = {
        "name": "Linux 40 (evening)",
        "branch": klass.branch_id,
        "course": klass.course_id,
        "class_type": klass.class_type,
        "semester": klass.semester,
        "start_date": klass.start_date.isoformat(),
        "end_date": klass.end_date.isoformat(),
        "contract_template": klass.contract_template_id,
        "teachers": [former.pk, people["teacher"].pk],
        "_save": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    klass.refresh_from_db()
    assert klass.name == "Linux 40 (evening)"
    assert set(klass.teachers.all()) == {former, people["teacher"]}
    # Still not a choice anywhere else: not offered, not accepted on another.
    other = ClassListFactory()
    other_url = f"/kingadmin/crm/classlist/{other.pk}/change/"
    data["teachers"] = [former.pk]
    response = client.post(other_url, data)
    assert "teachers" in response.context["form"].errors
    assert results(client.get(TEACHERS, {"field": "teachers"})) == ["Alex Teacher"]


def test_consultant_choices_of_the_customer_form_are_sales(client, superuser, people):
    client.force_login(superuser)
    form = client.get("/kingadmin/crm/customer/add/").context["form"]
    assert list(form.fields["consultant"].queryset) == [people["sales"]]
    assert isinstance(form.fields["consultant"].widget, AutocompleteSelect)
    assert Customer.objects.count() == 1

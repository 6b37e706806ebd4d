"""The permission page of a role, copying roles, and readable rule names."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.utils import translation
from django.utils.html import escape

from accounts.grants import rule_help, rule_label
from accounts.models import Menu, Role, User
from accounts.services import role_copy, role_permissions_set
from kingadmin.models import ChangeLog
from kingadmin.permissions import registry
from kingadmin.sites import INDEX_RULE, site
from tests.factories import MenuFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/kingadmin/crm/payment/"
COURSES = "/kingadmin/crm/course/"


def perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def matrix_url(role) -> str:
    return f"/accounts/roles/{role.pk}/permissions/"


def copy_url(role) -> str:
    return f"/accounts/roles/{role.pk}/copy/"


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def role(db):
    return RoleFactory(name="Telesales")


def choices(matrix):
    """Yield every permission choice of the matrix (default ticks and switches)."""
    for app in matrix.apps:
        for model in app.models:
            yield from (choice for choice in model.defaults if choice)
            yield from model.custom
    for model in matrix.others:
        yield from model.custom


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_matrix(client, role, *, permissions=(), menus=(), home=""):
    return client.post(
        matrix_url(role),
        {
            "permissions": [str(p) for p in permissions],
            "menus": [str(m) for m in menus],
            "home": str(home),
        },
    )


# ---------------------------------------------------------------- layout
def test_rows_are_the_registered_models_grouped_by_app_with_four_columns(
    admin_client, role
):
    matrix = admin_client.get(matrix_url(role)).context["matrix"]
    rows = {model.label: model for app in matrix.apps for model in app.models}
    registered = {
        model._meta.label_lower
        for model in site._registry  # every model kingadmin serves
    }
    assert set(rows) == registered
    for label, row in rows.items():
        assert [choice.action for choice in row.defaults] == [
            "view",
            "add",
            "change",
            "delete",
        ], label
        assert [c.perm for c in row.defaults] == [
            f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
            for action in ("view", "add", "change", "delete")
        ]
    assert [name for _, name in matrix.columns] == ["View", "Add", "Change", "Delete"]


def test_custom_rules_are_switches_under_their_model_with_their_help(
    admin_client, role
):
    matrix = admin_client.get(matrix_url(role)).context["matrix"]
    rows = {model.label: model for app in matrix.apps for model in app.models}
    customer = [choice.perm for choice in rows["crm.customer"].custom]
    assert "crm.view_own_customers" in customer
    assert "crm.view_id_numbers" in customer
    portal = {choice.perm: choice for choice in rows["teacher.courserecord"].custom}
    assert portal["teacher.use_teacher_portal"].help.startswith("The classes one")
    staff = {choice.perm for choice in rows["accounts.user"].custom}
    assert {"accounts.view_staff_users", "accounts.view_user_rights"} <= staff
    # The index rule lives on an unregistered model: shown with the others.
    others = {
        choice.perm: model.name for model in matrix.others for choice in model.custom
    }
    assert others[INDEX_RULE.perm] == "Administration"
    # Every registered rule with a stored permission is on the page once.
    shown = [choice.perm for choice in choices(matrix)]
    assert sorted(shown) == sorted({rule.perm for rule in registry})


@override_settings(LANGUAGE_CODE="zh-hans")
def test_labels_are_translated_and_default_rules_are_named_from_the_model(
    admin_client, role
):
    response = admin_client.get(matrix_url(role))
    html = response.content.decode()
    matrix = response.context["matrix"]
    app_names = [app.name for app in matrix.apps]
    assert "账号与角色" in app_names
    rows = {model.label: model for app in matrix.apps for model in app.models}
    assert rows["crm.payment"].name == "缴费记录"
    with translation.override("zh-hans"):
        for choice in choices(matrix):
            rule = registry.get(choice.perm)
            assert choice.label == rule_label(rule)
            assert f'data-label-of="{choice.perm}">{escape(choice.label)}<' in html
    view_payment = rows["crm.payment"].defaults[0]
    # Not the stored English "Can view payment": the model's Chinese name.
    assert "缴费记录" in view_payment.label
    assert view_payment.label != perm("crm.view_payment").name


def test_the_role_s_permissions_and_menus_are_ticked(admin_client, role):
    menu = MenuFactory(name="Courses", url=COURSES)
    other_menu = MenuFactory(name="Payments", url=PAYMENTS)
    role.permissions.set([perm("crm.view_course"), perm("crm.view_own_customers")])
    role.menus.set([menu])
    role.home = menu
    role.save()
    matrix = admin_client.get(matrix_url(role)).context["matrix"]
    ticked = {choice.perm for choice in choices(matrix) if choice.checked}
    assert ticked == {"crm.view_course", "crm.view_own_customers"}
    menus = {m.pk: m for m in matrix.menus}
    assert menus[menu.pk].checked and not menus[other_menu.pk].checked
    assert matrix.home_id == menu.pk


# ------------------------------------------------------------- implications
def test_each_menu_says_whether_the_role_opens_it_and_what_it_needs(admin_client, role):
    courses = MenuFactory(name="Courses", url=COURSES, order=1)
    payments = MenuFactory(name="Payments", url=PAYMENTS, order=2)
    index = MenuFactory(name="Admin", url="/kingadmin/", order=3)
    home = MenuFactory(name="Home", url="/", order=4)
    heading = MenuFactory(name="Heading", url="", order=5)
    broken = MenuFactory(name="Gone", url="/no/such/page/", order=6)
    role.permissions.set([perm("crm.view_course")])
    matrix = admin_client.get(matrix_url(role)).context["matrix"]
    states = {m.pk: m for m in matrix.menus}
    assert states[courses.pk].state == "allowed"
    # The index is implied by viewing courses.
    assert states[index.pk].state == "allowed"
    assert states[home.pk].state == "open"
    assert states[heading.pk].state == "heading"
    assert states[broken.pk].state == "broken"
    refused = states[payments.pk]
    assert refused.state == "refused"
    assert refused.needs == ["Can view payments"]
    assert refused.more_needs == 0


def test_a_home_page_the_role_does_not_open_is_flagged(admin_client, role):
    payments = MenuFactory(name="Payments", url=PAYMENTS)
    role.home = payments
    role.save()
    html = admin_client.get(matrix_url(role)).content.decode()
    assert 'data-testid="home-refused"' in html
    role.permissions.set([perm("crm.view_payment")])
    html = admin_client.get(matrix_url(role)).content.decode()
    assert 'data-testid="home-refused"' not in html


# ---------------------------------------------------------------- saving
def test_one_post_saves_permissions_menus_and_home_and_records_history(role, root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    page = client.get(matrix_url(role))
    token = page.cookies["csrftoken"].value
    menu = MenuFactory(name="Courses", url=COURSES)
    view_course, own = perm("crm.view_course"), perm("crm.view_own_customers")
    response = client.post(
        matrix_url(role),
        {
            "csrfmiddlewaretoken": token,
            "permissions": [view_course.pk, own.pk],
            "menus": [menu.pk],
            "home": menu.pk,
        },
    )
    assert response.status_code == 302
    assert response.url == matrix_url(role)
    role.refresh_from_db()
    assert set(role.permissions.all()) == {view_course, own}
    assert list(role.menus.all()) == [menu]
    assert role.home == menu
    entry = ChangeLog.objects.get(object_id=str(role.pk), action="change")
    assert entry.user == root
    assert {change["field"] for change in entry.changes} == {
        "permissions",
        "menus",
        "home",
    }
    assert "saved" in messages_of(response)[0]


def test_a_post_without_csrf_token_is_refused(role, root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    response = client.post(
        matrix_url(role), {"permissions": [perm("crm.view_course").pk]}
    )
    assert response.status_code == 403
    assert not role.permissions.exists()


@pytest.mark.parametrize("bad", ["999999", str(2**70), "abc", "1.5", ""])
def test_an_unknown_permission_id_is_refused_and_nothing_is_saved(
    admin_client, role, bad
):
    view_course = perm("crm.view_course")
    role.permissions.set([view_course])
    before = ChangeLog.objects.count()
    response = post_matrix(
        admin_client, role, permissions=[perm("crm.view_payment").pk, bad]
    )
    assert response.status_code == 400
    assert any("Nothing was saved" in text for text in messages_of(response))
    assert list(role.permissions.all()) == [view_course]
    assert ChangeLog.objects.count() == before
    # The page shows the valid part of what was posted again.
    ticked = {c.perm for c in choices(response.context["matrix"]) if c.checked}
    assert ticked == {"crm.view_payment"}


def test_unknown_menu_or_home_is_refused(admin_client, role):
    menu = MenuFactory()
    for data in (
        {"menus": [menu.pk, 999999]},
        {"menus": [str(2**70)]},
        {"home": 999999},
        {"home": str(2**70)},
        {"home": "x"},
    ):
        response = post_matrix(admin_client, role, **data)
        assert response.status_code == 400
    role.refresh_from_db()
    assert not role.menus.exists() and role.home is None


def test_a_permission_of_no_rule_is_not_offered_and_is_kept_on_save(admin_client, role):
    no_rule = perm("auth.view_group")  # Group is not in kingadmin: no rule
    role.permissions.set([no_rule])
    response = admin_client.get(matrix_url(role))
    assert response.context["matrix"].kept_count == 1
    assert no_rule.pk not in {
        c.permission_id for c in choices(response.context["matrix"])
    }
    # Posting it is refused like any id not offered ...
    assert post_matrix(admin_client, role, permissions=[no_rule.pk]).status_code == 400
    # ... and saving the matrix keeps it.
    view_course = perm("crm.view_course")
    assert (
        post_matrix(admin_client, role, permissions=[view_course.pk]).status_code == 302
    )
    assert set(role.permissions.all()) == {no_rule, view_course}


def test_granting_and_revoking_on_the_page_changes_what_members_see(admin_client, role):
    menu = MenuFactory(name="Courses", url=COURSES)
    member = UserFactory(roles=[role])
    member_client = Client()
    member_client.force_login(member)
    assert member_client.get(COURSES).status_code == 403
    post_matrix(
        admin_client, role, permissions=[perm("crm.view_course").pk], menus=[menu.pk]
    )
    assert member_client.get(COURSES).status_code == 200
    assert (
        'href="/kingadmin/crm/course/"'
        in member_client.get("/kingadmin/").content.decode()
    )
    assert member_client.get("/").url == COURSES
    post_matrix(admin_client, role, menus=[menu.pk])
    assert member_client.get(COURSES).status_code == 403


def test_saving_unchanged_records_no_history(admin_client, role, root):
    role_permissions_set(role=role, permissions=[], menus=[], home=None, by=root)
    assert not ChangeLog.objects.filter(object_id=str(role.pk)).exists()


# ---------------------------------------------------------------- access
def test_without_the_rule_the_page_and_the_copy_are_refused(client, role):
    client.force_login(
        UserFactory(roles=[RoleFactory(permissions=[perm("accounts.change_role")])])
    )
    assert client.get(matrix_url(role)).status_code == 403
    assert (
        post_matrix(client, role, permissions=[perm("crm.view_course").pk]).status_code
        == 403
    )
    assert client.post(copy_url(role)).status_code == 403
    assert not role.permissions.exists()
    assert Role.objects.count() == 2


def test_anonymous_is_sent_to_login(client, role):
    response = client.get(matrix_url(role))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_the_manage_rule_opens_the_page_without_being_superuser(client, role):
    manager = UserFactory(
        roles=[RoleFactory(permissions=[perm("accounts.manage_role_permissions")])]
    )
    client.force_login(manager)
    assert client.get(matrix_url(role)).status_code == 200
    assert (
        post_matrix(client, role, permissions=[perm("crm.view_course").pk]).status_code
        == 302
    )
    assert list(role.permissions.values_list("codename", flat=True)) == ["view_course"]


def test_unknown_role_is_404(admin_client):
    assert admin_client.get("/accounts/roles/999999/permissions/").status_code == 404
    assert admin_client.get(f"/accounts/roles/{2**70}/permissions/").status_code == 404


def test_other_methods_are_refused(admin_client, role):
    assert admin_client.put(matrix_url(role)).status_code == 405
    assert admin_client.get(copy_url(role)).status_code == 405


# ---------------------------------------------------------------- copying
def test_copy_button_creates_a_copy_with_the_same_rights(admin_client, role, root):
    menu = MenuFactory(name="Courses", url=COURSES)
    role.permissions.set([perm("crm.view_course")])
    role.menus.set([menu])
    role.home = menu
    role.save()
    response = admin_client.post(copy_url(role))
    copy = Role.objects.get(name="Telesales (copy)")
    assert response.status_code == 302 and response.url == matrix_url(copy)
    assert list(copy.permissions.all()) == list(role.permissions.all())
    assert list(copy.menus.all()) == [menu]
    assert copy.home == menu
    assert ChangeLog.objects.filter(
        object_id=str(copy.pk), action="add", user=root
    ).exists()
    admin_client.post(copy_url(role))
    admin_client.post(copy_url(role))
    assert set(Role.objects.values_list("name", flat=True)) == {
        "Telesales",
        "Telesales (copy)",
        "Telesales (copy 2)",
        "Telesales (copy 3)",
    }


def test_a_copy_of_a_long_name_fits_the_column(root):
    long = RoleFactory(name="长" * 64)
    first = role_copy(role=long, by=root)
    second = role_copy(role=long, by=root)
    assert len(first.name) <= 64 and first.name.endswith(" (copy)")
    assert len(second.name) <= 64 and second.name.endswith(" (copy 2)")


def test_a_copy_under_a_name_that_is_taken_is_refused(root, role):
    from django.core.exceptions import ValidationError

    RoleFactory(name="Taken")
    with pytest.raises(ValidationError):
        role_copy(role=role, name="Taken", by=root)
    assert role_copy(role=role, name="Fresh", by=root).name == "Fresh"


def test_copy_action_of_the_role_list_copies_each_selected_role(admin_client):
    first = RoleFactory(name="Alpha", permissions=[perm("crm.view_course")])
    second = RoleFactory(name="Beta")
    response = admin_client.post(
        "/kingadmin/accounts/role/",
        {"action": "copy_roles", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert Role.objects.filter(name__in=["Alpha (copy)", "Beta (copy)"]).count() == 2
    copy = Role.objects.get(name="Alpha (copy)")
    assert list(copy.permissions.all()) == [perm("crm.view_course")]
    assert "2 roles were copied" in messages_of(response)[0]


def test_copy_action_is_offered_with_the_manage_rule(client):
    RoleFactory(name="Alpha")
    viewer = UserFactory(roles=[RoleFactory(permissions=[perm("accounts.view_role")])])
    client.force_login(viewer)
    names = [a.name for a in client.get("/kingadmin/accounts/role/").context["actions"]]
    assert "copy_roles" not in names
    viewer.roles.first().permissions.add(perm("accounts.manage_role_permissions"))
    client.force_login(User.objects.get(pk=viewer.pk))
    names = [a.name for a in client.get("/kingadmin/accounts/role/").context["actions"]]
    assert "copy_roles" in names


# ------------------------------------------------------------------ links
def test_role_change_page_and_list_link_to_the_page_only_when_allowed(
    admin_client, client, role
):
    change = f"/kingadmin/accounts/role/{role.pk}/change/"
    assert f'href="{matrix_url(role)}"' in admin_client.get(change).content.decode()
    listing = admin_client.get("/kingadmin/accounts/role/").content.decode()
    assert re.search(rf'href="{matrix_url(role)}"[^>]*>0 permissions<', listing)
    editor = UserFactory(
        roles=[
            RoleFactory(
                permissions=[perm("accounts.view_role"), perm("accounts.change_role")]
            )
        ]
    )
    client.force_login(editor)
    assert matrix_url(role) not in client.get(change).content.decode()
    assert (
        matrix_url(role) not in client.get("/kingadmin/accounts/role/").content.decode()
    )


# ---------------------------------------------------------------- queries
def test_the_page_takes_a_bounded_number_of_queries(
    admin_client, client, role, django_assert_max_num_queries
):
    for i in range(15):
        MenuFactory(name=f"Entry {i}", url=COURSES if i % 2 else PAYMENTS)
    role.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    role.menus.set(Menu.objects.all())
    UserFactory.create_batch(5, roles=[role])
    with django_assert_max_num_queries(12):
        assert admin_client.get(matrix_url(role)).status_code == 200
    manager = UserFactory(
        roles=[RoleFactory(permissions=[perm("accounts.manage_role_permissions")])]
    )
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        assert client.get(matrix_url(role)).status_code == 200


# ----------------------------------------------------------- translations
def test_every_rule_name_and_help_has_a_chinese_translation():
    untranslated = []
    for rule in registry:
        with translation.override("en"):
            english = (rule_label(rule), rule_help(rule))
        with translation.override("zh-hans"):
            chinese = (rule_label(rule), rule_help(rule))
        # A default rule's label names the (translated) model either way.
        if chinese[0] == english[0] or re.match(r"Can\b", chinese[0]):
            untranslated.append(rule.name)
        if english[1] and chinese[1] == english[1]:
            untranslated.append(rule.help or english[1])
    assert untranslated == []


def test_rule_names_are_stored_in_english_whatever_the_language():

    from kingadmin.rules_sync import sync_rule_permissions

    Permission.objects.filter(codename="use_teacher_portal").update(name="stale")
    with translation.override("zh-hans"):
        sync_rule_permissions()
    assert perm("teacher.use_teacher_portal").name == "Can use the teacher portal"


def test_editing_a_role_in_kingadmin_without_their_choices_keeps_its_rights(client):
    menu = MenuFactory(name="Courses", url=COURSES)
    role = RoleFactory(name="R", permissions=[perm("crm.view_course")], menus=[menu])
    role.home = menu
    role.save()
    editor = UserFactory(
        roles=[
            RoleFactory(
                permissions=[perm("accounts.view_role"), perm("accounts.change_role")]
            )
        ]
    )
    client.force_login(editor)
    change = f"/kingadmin/accounts/role/{role.pk}/change/"
    form = client.get(change).context["form"]
    assert set(form.readonly_names) == {"permissions", "menus", "home"}
    # What the page posts: the read-only values as hidden copies.
    response = client.post(
        change,
        {
            "name": "Renamed",
            "permissions": [perm("crm.view_course").pk],
            "menus": [menu.pk],
            "home": menu.pk,
            "_save": "",
        },
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Renamed"
    assert list(role.permissions.all()) == [perm("crm.view_course")]
    assert list(role.menus.all()) == [menu] and role.home == menu
    # A tampered copy is refused, not stored.
    tampered = client.post(
        change,
        {
            "name": "Renamed",
            "permissions": [perm("crm.view_course").pk, perm("crm.view_payment").pk],
            "menus": [menu.pk],
            "home": menu.pk,
            "_save": "",
        },
    )
    assert tampered.status_code == 200
    assert list(role.permissions.all()) == [perm("crm.view_course")]

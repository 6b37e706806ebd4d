import re

import pytest
from django.core.exceptions import ValidationError

from accounts.backends import RoleBackend
from accounts.models import Menu
from accounts.selectors import home_url, user_menu
from tests.factories import MenuFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def names(tree):
    return [(item.name, [child.name for child in item.children]) for item in tree]


def test_user_sees_the_menus_of_all_their_roles_once_and_in_order():
    reports = MenuFactory(name="Reports", order=30)
    customers = MenuFactory(name="Customers", order=10)
    classes = MenuFactory(name="Classes", order=20)
    sales = RoleFactory(menus=[customers, reports])
    manager = RoleFactory(menus=[reports, classes])
    user = UserFactory(roles=[sales, manager])

    assert names(user_menu(user=user)) == [
        ("Customers", []),
        ("Classes", []),
        ("Reports", []),
    ]


def test_user_without_roles_or_anonymous_sees_no_menu(django_user_model):
    MenuFactory()
    assert user_menu(user=UserFactory()) == []
    from django.contrib.auth.models import AnonymousUser

    assert user_menu(user=AnonymousUser()) == []


def test_menus_of_other_roles_are_not_shown():
    mine, theirs = MenuFactory(name="Mine"), MenuFactory(name="Theirs")
    RoleFactory(menus=[theirs])
    user = UserFactory(roles=[RoleFactory(menus=[mine])])
    assert names(user_menu(user=user)) == [("Mine", [])]


def test_sub_menu_appears_under_its_parent_heading_even_if_only_child_granted():
    group = MenuFactory(name="Teaching", url="", order=5)
    child_b = MenuFactory(name="Grades", parent=group, order=2)
    child_a = MenuFactory(name="Roll call", parent=group, order=1)
    MenuFactory(name="Not granted", parent=group, order=3)
    user = UserFactory(roles=[RoleFactory(menus=[child_b, child_a])])
    assert names(user_menu(user=user)) == [("Teaching", ["Roll call", "Grades"])]


def test_empty_heading_and_unresolvable_url_name_are_left_out():
    heading = MenuFactory(name="Empty heading", url="")
    broken = MenuFactory(name="Broken", url_type=Menu.UrlType.URL_NAME, url="nope:none")
    ok = MenuFactory(
        name="Ok", url_type=Menu.UrlType.URL_NAME, url="teacher:class_list"
    )
    from django.contrib.auth.models import Permission

    may_list = Permission.objects.get(codename="use_teacher_portal")
    user = UserFactory(
        roles=[RoleFactory(menus=[heading, broken, ok], permissions=[may_list])]
    )
    tree = user_menu(user=user)
    assert names(tree) == [("Ok", [])]
    assert tree[0].url == "/teacher/"


def test_entry_with_longest_matching_prefix_is_active():
    index = MenuFactory(name="Admin", url="/kingadmin/")
    customers = MenuFactory(name="Customers", url="/kingadmin/crm/customer/")
    other = MenuFactory(name="Other", url="/kingadmin/crm/customerfollowup/")
    user = UserFactory(
        is_superuser=True, roles=[RoleFactory(menus=[index, customers, other])]
    )
    tree = {
        item.name: item
        for item in user_menu(user=user, path="/kingadmin/crm/customer/7/change/")
    }
    assert tree["Customers"].active
    assert not tree["Admin"].active and not tree["Other"].active


def test_unresolvable_or_refused_entries_are_hidden():
    gone = MenuFactory(name="Gone", url="/no/such/page/")
    refused = MenuFactory(name="Refused", url="/kingadmin/crm/customer/")
    home = MenuFactory(name="Home")
    user = UserFactory(roles=[RoleFactory(menus=[gone, refused, home])])
    assert names(user_menu(user=user)) == [("Home", [])]


def test_menu_is_built_in_one_query(django_assert_num_queries):
    menus = [MenuFactory() for _ in range(12)]
    user = UserFactory(
        roles=[RoleFactory(menus=menus[:6]), RoleFactory(menus=menus[3:])]
    )
    with django_assert_num_queries(1):
        assert len(user_menu(user=user)) == 12


def test_menu_validation_rejects_unknown_url_name_deep_nesting_and_foreign_urls():
    with pytest.raises(ValidationError) as error:
        Menu(name="x", url_type=Menu.UrlType.URL_NAME, url="no:such").full_clean()
    assert "not the name of a page" in str(error.value)
    with pytest.raises(ValidationError):
        Menu(
            name="y", url_type=Menu.UrlType.ABSOLUTE, url="//evil.example"
        ).full_clean()
    child = MenuFactory(parent=MenuFactory())
    with pytest.raises(ValidationError, match="one level"):
        Menu(name="z", url="/z/", url_type="absolute", parent=child).full_clean()


def test_entry_whose_query_matches_the_page_is_active():
    mine = MenuFactory(name="Mine", url="/kingadmin/crm/customer/?mine=1")
    everyone = MenuFactory(name="All", url="/kingadmin/crm/customer/")
    user = UserFactory(is_superuser=True, roles=[RoleFactory(menus=[mine, everyone])])

    def active(path):
        return [item.name for item in user_menu(user=user, path=path) if item.active]

    assert active("/kingadmin/crm/customer/?mine=1&o=name_link") == ["Mine"]
    assert active("/kingadmin/crm/customer/?mine=2") == ["All"]
    assert active("/kingadmin/crm/customer/") == ["All"]


BAD_ABSOLUTE_URLS = [
    "/\\evil.example",
    "\\\\evil.example",
    "/ok/\\..\\x",
    "//evil.example",
    "///evil.example",
    "/kingadmin//crm/",
    "/kingadmin/?next=//evil.example",
    "http://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example/path",
    "kingadmin/",
    "/\t/evil.example",
    "/\n/evil.example",
    "/kingadmin/\r\n",
    "/king admin/",
    " /kingadmin/",
    "/kingadmin/\u3000",
    "/kingadmin/\x00",
    "/kingadmin/\x7f",
    "/\u202e/nimdagnik",
]


@pytest.mark.parametrize("url", BAD_ABSOLUTE_URLS)
def test_absolute_menu_url_that_is_not_a_path_of_this_site_is_refused(url):
    menu = Menu(name="x", url_type=Menu.UrlType.ABSOLUTE, url=url)
    with pytest.raises(ValidationError) as error:
        menu.full_clean()
    assert list(error.value.message_dict) == ["url"]
    assert "must be a path of this site" in error.value.message_dict["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/kingadmin/",
        "/kingadmin/crm/customer/?mine=1",
        "/kingadmin/crm/customer/?mine=1&o=-created_at",
        "/kingadmin/crm/customer/?next=/teacher/",
        "/teacher/#classes",
        "/crm/customers/?q=%E6%9D%8E",
        "/课程/",
    ],
)
def test_absolute_menu_url_that_is_a_path_of_this_site_is_accepted(url):
    Menu(name="x", url_type=Menu.UrlType.ABSOLUTE, url=url).full_clean()


def test_url_name_menu_must_still_reverse():
    Menu(name="x", url_type=Menu.UrlType.URL_NAME, url="teacher:class_list").clean()
    with pytest.raises(ValidationError) as error:
        Menu(name="y", url_type=Menu.UrlType.URL_NAME, url="/teacher/").clean()
    assert "not the name of a page" in error.value.message_dict["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
    ],
)
def test_bad_url_stored_before_validation_is_never_rendered_or_landed_on(url):
    bad = MenuFactory(name="Bad", url_type=Menu.UrlType.ABSOLUTE, url=url, order=1)
    good = MenuFactory(name="Good", url="/kingadmin/", order=2)
    user = UserFactory(is_superuser=True, roles=[RoleFactory(menus=[bad, good])])
    tree = user_menu(user=user)
    assert [(item.name, item.url) for item in tree] == [("Good", "/kingadmin/")]
    assert bad.resolve_url() is None
    role = RoleFactory(menus=[bad], home=bad)
    lander = UserFactory(roles=[role])
    assert home_url(user=lander) is None


# ------------------------------------------------------------ home fallback
COURSES = "/kingadmin/crm/course/"


def _perms(*names):
    from django.contrib.auth.models import Permission

    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in names)
    ]


def test_roles_without_a_home_land_on_the_first_entry_the_menu_shows(client):
    later = MenuFactory(name="Later", url="/", order=20)
    courses = MenuFactory(name="Courses", url=COURSES, order=10)
    role = RoleFactory(menus=[later, courses], permissions=_perms("crm.view_course"))
    user = UserFactory(roles=[role])
    assert [item.name for item in user_menu(user=user)] == ["Courses", "Later"]
    assert home_url(user=user) == COURSES
    client.force_login(user)
    assert client.get("/").url == COURSES


def test_a_home_the_role_s_rules_refuse_falls_back_to_the_first_menu_entry():
    refused = MenuFactory(name="Payments", url="/kingadmin/crm/payment/", order=1)
    courses = MenuFactory(name="Courses", url=COURSES, order=2)
    role = RoleFactory(
        menus=[refused, courses], permissions=_perms("crm.view_course"), home=refused
    )
    assert home_url(user=UserFactory(roles=[role])) == COURSES


def test_a_heading_first_lands_on_its_first_child():
    heading = MenuFactory(name="Teaching", url="", order=1)
    child = MenuFactory(name="Courses", url=COURSES, parent=heading, order=2)
    role = RoleFactory(menus=[child], permissions=_perms("crm.view_course"))
    assert home_url(user=UserFactory(roles=[role])) == COURSES


def test_a_view_permission_without_any_menu_lands_on_the_admin_index(client):
    user = UserFactory(roles=[RoleFactory(permissions=_perms("crm.view_course"))])
    assert home_url(user=user) == "/kingadmin/"
    client.force_login(user)
    assert client.get("/").url == "/kingadmin/"


def test_roles_that_open_no_page_are_not_called_no_role(client):
    user = UserFactory(roles=[RoleFactory(name="Empty role")])
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "has no role" not in html
    assert 'data-testid="no-home"' in html and "Empty role" in html


def test_no_role_at_all_is_said_so(client):
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert "has no role" in html
    assert 'data-testid="no-home"' not in html


# ------------------------------------------------ the menu kept in the session
def _menu_names(client) -> list[str]:
    """Return the menu a page builds, checked against the sidebar it shows."""
    response = client.get("/accounts/notifications/")
    names = [item.name for item in response.context["nav_menu"]]
    shown = [name for name, _current in _entries(response.content.decode())]
    assert shown == names  # the rendered menu (kept per process) is the same
    return names


def _logged_in(client, *menus):
    role = RoleFactory(menus=list(menus))
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user, role


def test_a_session_reads_its_menu_once_per_stamp(client, django_assert_num_queries):
    _logged_in(client, MenuFactory(name="Customers"))
    assert _menu_names(client) == ["Customers"]  # read, kept in the session

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert _menu_names(client) == ["Customers"]
    assert not [q for q in captured.captured_queries if '"accounts_menu"."' in q["sql"]]


def test_a_changed_menu_a_role_s_new_menu_or_a_lost_role_shows_on_the_next_page(
    client,
):
    customers = MenuFactory(name="Customers", order=1)
    user, role = _logged_in(client, customers)
    assert _menu_names(client) == ["Customers"]

    customers.name = "Leads"
    customers.save()
    assert _menu_names(client) == ["Leads"]

    role.menus.add(MenuFactory(name="Reports", order=2))
    assert _menu_names(client) == ["Leads", "Reports"]

    user.roles.remove(role)
    assert _menu_names(client) == []


def test_another_user_s_session_never_shows_this_user_s_menu(client):
    _logged_in(client, MenuFactory(name="Mine"))
    assert _menu_names(client) == ["Mine"]
    session = client.session
    other = UserFactory(roles=[RoleFactory(menus=[MenuFactory(name="Theirs")])])
    other = RoleBackend().get_user(other.pk)  # as a request loads it: stamped

    tree = user_menu(user=other, session=session)

    assert [item.name for item in tree] == ["Theirs"]
    assert session["accounts.menus"]["user"] == other.pk


# ------------------------------------- the rendered menu kept in the process
def _sidebar(client, path="/accounts/notifications/") -> list[tuple[str, bool]]:
    """Return the sidebar's entries as the page shows them: (name, current)."""
    return _entries(client.get(path).content.decode())


def _entries(html: str) -> list[tuple[str, bool]]:
    start = html.find('data-testid="main-menu"')
    if start < 0:
        return []
    nav = html[start : html.index("</nav>", start)]
    return [
        (name.strip(), 'aria-current="page"' in attrs)
        for attrs, name in re.findall(
            r'<a class="nav-link([^>]*)>\s*([^<]*?)\s*</a>', nav
        )
    ]


def _names(client) -> list[str]:
    return [name for name, _current in _sidebar(client)]


def test_the_rendered_menu_follows_the_user_s_permissions(client):
    from django.contrib.auth.models import Permission

    classes = MenuFactory(name="My classes", url="/teacher/", order=1)
    _user, role = _logged_in(client, classes, MenuFactory(name="Home", order=2))
    assert _names(client) == ["Home"]  # the teacher portal is refused

    role.permissions.add(Permission.objects.get(codename="use_teacher_portal"))
    assert _names(client) == ["My classes", "Home"]


def test_the_rendered_menu_marks_the_current_page_and_is_built_once(
    client, monkeypatch
):
    from accounts import selectors

    notes = MenuFactory(name="Notes", url="/accounts/notifications/", order=1)
    password = MenuFactory(name="Password", url="/accounts/password/change/", order=2)
    _logged_in(client, notes, password)
    built = []
    real = selectors.user_menu
    monkeypatch.setattr(
        selectors, "user_menu", lambda **kw: built.append(1) or real(**kw)
    )

    assert _sidebar(client) == [("Notes", True), ("Password", False)]
    assert _sidebar(client, "/accounts/password/change/") == [
        ("Notes", False),
        ("Password", True),
    ]
    assert _sidebar(client) == [("Notes", True), ("Password", False)]
    assert len(built) == 1  # the tree once; each page's HTML from the cache


def test_two_users_never_share_a_rendered_menu(client):
    _logged_in(client, MenuFactory(name="Mine"))
    assert _names(client) == ["Mine"]
    _logged_in(client, MenuFactory(name="Theirs"))
    assert _names(client) == ["Theirs"]

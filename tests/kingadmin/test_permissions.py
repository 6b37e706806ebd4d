"""The permission engine: rules, specificity, row hooks, 403s and menus."""

import pytest
from django.test import Client

from accounts.selectors import user_menu
from crm.models import Customer
from kingadmin.permissions import PermissionRule, Route, RuleRegistry
from tests.factories import CustomerFactory, MenuFactory, RoleFactory, UserFactory

from .conftest import perms

pytestmark = pytest.mark.django_db

LIST = "/kingadmin/crm/customer/"
QQ_LIST = LIST + "?source=qq_group&status=not_enrolled"


@pytest.fixture
def leads(db):
    owner, other = UserFactory(username="owner"), UserFactory(username="other")
    return {
        "qq_new": CustomerFactory(
            name="QQ new", source="qq_group", status="not_enrolled", consultant=owner
        ),
        "qq_enrolled": CustomerFactory(
            name="QQ enrolled", source="qq_group", status="enrolled", consultant=other
        ),
        "web_new": CustomerFactory(
            name="Web new", source="website", status="not_enrolled", consultant=other
        ),
        "owner": owner,
        "other": other,
    }


def names(response):
    return sorted(row.obj.name for row in response.context["rows"])


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/kingadmin/crm/customer/"


def test_user_without_a_rule_gets_the_403_page(client, leads):
    client.force_login(UserFactory())
    for url in (LIST, QQ_LIST, "/kingadmin/", f"{LIST}{leads['qq_new'].pk}/change/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Access denied" in response.content.decode()


def test_qq_unenrolled_rule_shows_just_those_rows_and_403_elsewhere(
    client, leads, user_with
):
    client.force_login(user_with("crm.view_qq_unenrolled_customers"))
    response = client.get(QQ_LIST)
    assert response.status_code == 200
    assert names(response) == ["QQ new"]
    # Without the required values, with other values, or twice: refused.
    for url in (
        LIST,
        LIST + "?source=qq_group",
        LIST + "?source=website&status=not_enrolled",
        QQ_LIST + "&source=website",
        f"{LIST}{leads['qq_new'].pk}/change/",
        "/kingadmin/crm/course/",
        "/kingadmin/crm/customer/export/?source=qq_group&status=not_enrolled",
    ):
        assert client.get(url).status_code == 403, url
    # Extra filters only narrow the permitted rows.
    assert names(client.get(QQ_LIST + "&q=web")) == []


def test_own_customers_hook_scopes_the_list_and_refuses_foreign_rows(
    client, leads, user_with
):
    sales = user_with("crm.view_own_customers", "crm.change_own_customers")
    mine = CustomerFactory(name="Mine", consultant=sales)
    client.force_login(sales)
    assert names(client.get(LIST)) == ["Mine"]
    assert client.get(f"{LIST}{mine.pk}/change/").status_code == 200
    foreign = leads["web_new"]
    assert client.get(f"{LIST}{foreign.pk}/change/").status_code == 403
    assert client.get(f"{LIST}{foreign.pk}/history/").status_code == 403
    response = client.post(f"{LIST}{foreign.pk}/change/", {"name": "Stolen"})
    assert response.status_code == 403
    foreign.refresh_from_db()
    assert foreign.name == "Web new"
    # A missing row is 404, a non-numeric id too.
    assert client.get(f"{LIST}999999/change/").status_code == 404
    assert client.get(f"{LIST}abc/change/").status_code == 404


def test_hook_uses_the_logged_in_user_not_a_parameter(client, leads, user_with):
    sales = user_with("crm.view_own_customers")
    client.force_login(sales)
    response = client.get(LIST, {"consultant": leads["other"].pk})
    assert names(response) == []


def test_rules_of_equal_specificity_combine_and_a_broad_grant_sees_all(
    client, leads, user_with
):
    manager = user_with("crm.view_own_customers", "crm.view_customer")
    client.force_login(manager)
    assert names(client.get(LIST)) == ["QQ enrolled", "QQ new", "Web new"]


def test_export_respects_the_row_hook(client, leads, user_with):
    sales = user_with("crm.view_own_customers")
    CustomerFactory(name="Mine to export", consultant=sales)
    client.force_login(sales)
    response = client.get(LIST + "export/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Mine to export" in text and "Web new" not in text


def test_view_permission_does_not_allow_saving(client, leads, user_with):
    viewer = user_with("crm.view_customer")
    client.force_login(viewer)
    url = f"{LIST}{leads['web_new'].pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "x"}).status_code == 403
    assert client.get(LIST + "add/").status_code == 403


def test_delete_action_needs_the_delete_permission(client, leads, user_with):
    changer = user_with("crm.view_customer", "crm.change_customer")
    client.force_login(changer)
    response = client.post(
        LIST,
        {"action": "delete_selected", "_selected_action": [leads["web_new"].pk]},
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=leads["web_new"].pk).exists()
    # The action is not even offered.
    assert "delete_selected" not in client.get(LIST).content.decode()


def test_most_specific_rule_decides_and_equal_ones_combine():
    registry = RuleRegistry()
    general = PermissionRule(
        "crm.customer", "t_general", "general", (Route("x:list", {"GET"}, {"a": "1"}),)
    )
    specific = PermissionRule(
        "crm.customer",
        "t_specific",
        "specific",
        (Route("x:list", {"GET"}, {"a": "1"}, {"src": "qq"}),),
        hook=lambda request, qs: qs.filter(source="qq_group"),
    )
    registry.register(general, specific)

    class Holder:
        is_authenticated = True
        is_active = True
        is_superuser = False

        def __init__(self, *held):
            self.held = set(held)

        def has_perm(self, perm):
            return perm in self.held

    both = Holder("crm.t_general", "crm.t_specific")
    decision = registry.decide(
        both, url_name="x:list", url_kwargs={"a": "1"}, query={"src": ["qq"]}
    )
    assert decision.rules == (specific,)
    decision = registry.decide(both, url_name="x:list", url_kwargs={"a": "1"})
    assert decision.rules == (general,)
    only_general = Holder("crm.t_general")
    decision = registry.decide(
        only_general, url_name="x:list", url_kwargs={"a": "1"}, query={"src": ["qq"]}
    )
    assert decision.rules == (general,)
    assert not registry.decide(Holder(), url_name="x:list", url_kwargs={"a": "1"})
    # HEAD counts as GET; POST is not allowed by a GET route.
    head = registry.decide(
        both, url_name="x:list", method="HEAD", url_kwargs={"a": "1"}
    )
    assert head
    assert not registry.decide(
        both, url_name="x:list", method="POST", url_kwargs={"a": "1"}
    )


def test_a_rule_declared_twice_differently_is_refused():
    registry = RuleRegistry()
    rule = PermissionRule("crm.customer", "t_x", "x", (Route("x:a"),))
    registry.register(rule, rule)  # the same declaration twice is harmless
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(PermissionRule("crm.customer", "t_x", "x", (Route("x:b"),)))


def test_rules_become_grantable_permissions():
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="view_qq_unenrolled_customers")
    assert permission.content_type.app_label == "crm"
    assert "QQ" in permission.name


def test_menu_never_shows_an_entry_the_view_would_refuse(leads, user_with):
    qq_menu = MenuFactory(name="QQ leads", url=QQ_LIST, order=1)
    all_menu = MenuFactory(name="All leads", url=LIST, order=2)
    home_menu = MenuFactory(name="Home", url="/", order=3)
    user = user_with("crm.view_qq_unenrolled_customers")
    user.roles.first().menus.set([qq_menu, all_menu, home_menu])
    assert [item.name for item in user_menu(user=user)] == ["QQ leads", "Home"]


def test_granting_a_permission_to_a_role_takes_effect_at_once(client, leads):
    role = RoleFactory(menus=[MenuFactory(name="All leads", url=LIST)])
    user = UserFactory(roles=[role])
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert "All leads" not in client.get("/").content.decode()
    role.permissions.add(*perms("crm.view_customer"))
    assert client.get(LIST).status_code == 200
    assert "All leads" in client.get(LIST).content.decode()


def test_superuser_passes_every_rule(client, leads, superuser):
    client.force_login(superuser)
    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}{leads['web_new'].pk}/change/").status_code == 200


def test_inactive_user_is_refused():
    from kingadmin.permissions import registry

    user = UserFactory(is_active=False, is_superuser=True)
    assert not registry.decide(user, url_name="kingadmin:index")


def test_every_guarded_app_view_is_refused_without_its_rule():
    client = Client()
    client.force_login(UserFactory())
    for url in ("/crm/customers/1/", "/teacher/", "/student/", "/kingadmin/"):
        assert client.get(url).status_code == 403, url


def test_enrollments_inherit_the_scope_of_their_customer(client, user_with):
    from tests.factories import EnrollmentFactory

    sales = user_with("crm.view_own_customers", "crm.view_enrollment")
    # Sent by a colleague before the lead became this sales': still theirs.
    mine = EnrollmentFactory(customer=CustomerFactory(consultant=sales))
    theirs = EnrollmentFactory(consultant=sales)
    client.force_login(sales)
    rows = client.get("/kingadmin/crm/enrollment/").context["rows"]
    assert [row.obj for row in rows] == [mine]
    assert (
        client.get(f"/kingadmin/crm/enrollment/{theirs.pk}/change/").status_code == 403
    )

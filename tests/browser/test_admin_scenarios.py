"""Scenarios 16-21 of MISSION.md: the admin sets up the school in kingadmin.

The demo data supplies the admin login and the demo menus; every object the
admin creates here has a name of its own, so nothing collides with the demo.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, User
from crm.demo_data import MENU_MY_CUSTOMERS
from crm.models import Branch, ClassList, ContractTemplate, Course, Customer
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser

PASSWORD = "Orchid-Lantern-4172"
OWN_CUSTOMERS = "Can view and follow up own customers"


@pytest.fixture
def new_context(browser, live_server):
    """Return a factory of fresh browser contexts (own cookies), closed at the end."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def add_from_list(page, plural, singular):
    """Open the add page of a model from the kingadmin index, via its list."""
    page.goto("/kingadmin/")
    page.get_by_role("link", name=plural, exact=True).click()
    expect(page.get_by_role("heading", name=plural, exact=True)).to_be_visible()
    page.get_by_role("link", name=f"Add {singular}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Add {singular}")).to_be_visible()


def save(page, name):
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(f"“{name}” was")


def widget(page, field):
    """Return the two-box widget of the many-to-many ``field``."""
    return page.locator("[data-filter-horizontal]").filter(
        has=page.locator(f"#id_{field}")
    )


def chosen(page, field):
    return page.locator(f"#id_{field}_to option")


def choose_by_double_click(page, field, text):
    page.locator(f"#id_{field}_filter").fill(text)
    page.locator(f"#id_{field}_from").get_by_role("option", name=text).dblclick()


def choose_with_button(page, field, text):
    page.locator(f"#id_{field}_filter").fill(text)
    available = page.locator(f"#id_{field}_from option")
    expect(available).to_have_count(1)
    page.locator(f"#id_{field}_from").select_option(index=0)
    widget(page, field).get_by_role("button", name="Choose", exact=True).click()


def add_course(page, name, price, months):
    add_from_list(page, "Courses", "course")
    page.locator("#id_name").fill(name)
    page.locator("#id_price").fill(price)
    page.locator("#id_period_months").fill(months)
    page.locator("#id_outline").fill(f"1. {name} basics\n2. A {name} project")
    save(page, name)


def add_campus(page, name, address):
    add_from_list(page, "Campuses", "campus")
    page.locator("#id_name").fill(name)
    page.locator("#id_address").fill(address)
    save(page, name)


def add_account(page, username, display_name, campus, roles=()):
    add_from_list(page, "Users", "user")
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_display_name").fill(display_name)
    page.locator("#id_email").fill(f"{username}@example.com")
    page.locator("#id_campus").select_option(label=campus)
    for role in roles:
        choose_by_double_click(page, "roles", role)
    save(page, display_name)


def test_admin_sets_up_courses_campuses_a_class_accounts_and_a_role(
    page, new_context, demo_site
):
    log_in(page, "admin")
    page.get_by_role("button", name="English").click()

    # Scenario 16: courses.
    add_course(page, "Go", "15800", "4")
    add_course(page, "Java", "16800", "6")
    go = Course.objects.get(name="Go")
    assert (go.price, go.period_months) == (15800, 4)
    assert "Go basics" in go.outline
    assert Course.objects.filter(name="Java", period_months=6).exists()

    # Scenario 17: campuses.
    add_campus(page, "Shenzhen", "深圳市南山区科技园 8 号")
    add_campus(page, "Hangzhou", "杭州市西湖区文三路 20 号")
    assert Branch.objects.get(name="Shenzhen").address == "深圳市南山区科技园 8 号"
    assert Branch.objects.filter(name="Hangzhou").exists()

    # Scenario 18: a contract template, then a class that uses it, with a
    # teacher picked in the two-box widget.
    add_from_list(page, "Contract templates", "contract template")
    page.locator("#id_name").fill("Go training agreement")
    page.locator("#id_content").fill(
        "Student {{ customer }} joins {{ class }} of {{ course }} at {{ campus }}."
    )
    save(page, "Go training agreement")
    template = ContractTemplate.objects.get(name="Go training agreement")

    start = timezone.localdate() + timedelta(days=30)
    end = start + timedelta(days=120)
    add_from_list(page, "Classes", "class")
    page.locator("#id_name").fill("Go S1")
    page.locator("#id_branch").select_option(label="Shenzhen")
    page.locator("#id_course").select_option(label="Go")
    page.locator("#id_class_type").select_option(label="Weekend")
    page.locator("#id_semester").fill("1")
    page.locator("#id_start_date").fill(start.isoformat())
    page.locator("#id_end_date").fill(end.isoformat())
    page.locator("#id_seats").fill("30")
    page.locator("#id_contract_template").select_option(label=template.name)
    page.get_by_role("combobox", name="Teachers").press_sequentially("Alex")
    page.locator("#id_teachers_listbox").get_by_role("option", name="Alex 老师").click()
    expect(
        page.get_by_role("list", name="Chosen teachers").get_by_role("listitem")
    ).to_have_text(["Alex 老师"])
    save(page, "Go S1")
    go_s1 = ClassList.objects.get(name="Go S1")
    assert (go_s1.branch.name, go_s1.course, go_s1.class_type, go_s1.semester) == (
        "Shenzhen",
        go,
        ClassList.ClassType.WEEKEND,
        1,
    )
    assert (go_s1.start_date, go_s1.end_date) == (start, end)
    assert go_s1.contract_template == template
    assert [t.username for t in go_s1.teachers.all()] == ["teacher"]

    # Scenario 20 (first half): the role with its menu, no permission yet.
    add_from_list(page, "Roles", "role")
    page.locator("#id_name").fill("Telesales")
    choose_by_double_click(page, "menus", MENU_MY_CUSTOMERS)
    expect(chosen(page, "menus")).to_have_text([MENU_MY_CUSTOMERS])
    save(page, "Telesales")
    telesales = Role.objects.get(name="Telesales")
    assert [m.name for m in telesales.menus.all()] == [MENU_MY_CUSTOMERS]
    assert not telesales.permissions.exists()

    # Scenario 19: two accounts with a password; sales_e gets the role on the
    # add page, sales_f later on its change page (password left blank).
    add_account(page, "sales_e", "销售E", "Shenzhen", roles=["Telesales"])
    add_account(page, "sales_f", "销售F", "Hangzhou")
    sales_e = User.objects.get(username="sales_e")
    sales_f = User.objects.get(username="sales_f")
    for user, campus in ((sales_e, "Shenzhen"), (sales_f, "Hangzhou")):
        assert user.check_password(PASSWORD)
        assert PASSWORD not in user.password
        assert user.campus.name == campus and user.is_active
        assert not user.is_staff and not user.is_superuser
    assert [r.name for r in sales_e.roles.all()] == ["Telesales"]
    assert not sales_f.roles.exists()
    stored_hash = sales_f.password

    page.goto("/kingadmin/accounts/user/?q=sales_f")
    page.get_by_role("link", name="sales_f", exact=True).click()
    expect(page.get_by_role("heading", name="Change user")).to_be_visible()
    expect(page.locator("#id_password1")).to_have_value("")
    choose_by_double_click(page, "roles", "Telesales")
    save(page, "销售F")
    sales_f.refresh_from_db()
    assert sales_f.password == stored_hash
    assert set(telesales.users.values_list("username", flat=True)) == {
        "sales_e",
        "sales_f",
    }

    # A lead of sales_e's (entered elsewhere) and one of another consultant.
    own = CustomerFactory(name="周小敏 (Go)", consultant=sales_e, consult_course=go)
    other = Customer.objects.exclude(consultant=sales_e).first()

    # sales_e logs in: the role gives the menu, but without the permission
    # the rules hide it and the page itself is refused.
    assert not sales_e.has_perm("crm.view_own_customers")
    sales_page = new_context().new_page()
    log_in(sales_page, "sales_e", PASSWORD)
    expect(sales_page.get_by_role("heading", name="欢迎，销售E")).to_be_visible()
    menu = sales_page.get_by_test_id("main-menu")
    expect(menu.get_by_role("link", name="我的客户")).to_have_count(0)
    refused = sales_page.goto("/kingadmin/crm/customer/?mine=1")
    assert refused.status == 403
    expect(sales_page.get_by_role("heading", name="没有权限")).to_be_visible()

    # Scenario 21: the admin grants the role the permission in the UI.
    page.goto("/kingadmin/accounts/role/")
    page.get_by_role("link", name="Telesales", exact=True).click()
    expect(page.get_by_role("heading", name="Change role")).to_be_visible()
    choose_with_button(page, "permissions", OWN_CUSTOMERS)
    expect(chosen(page, "permissions")).to_have_count(1)
    expect(chosen(page, "permissions")).to_contain_text([OWN_CUSTOMERS])
    save(page, "Telesales")
    permission = Permission.objects.get(codename="view_own_customers")
    assert permission.name == OWN_CUSTOMERS
    assert list(telesales.permissions.all()) == [permission]
    assert [m.name for m in telesales.menus.all()] == [MENU_MY_CUSTOMERS]
    assert User.objects.get(username="sales_e").has_perm("crm.view_own_customers")

    # sales_e's next page load shows the menu, and the list opens.
    response = sales_page.goto("/")
    assert response.status == 200
    expect(sales_page).to_have_url(re.compile(r"/kingadmin/crm/customer/\?mine=1$"))
    expect(menu.get_by_role("link", name="我的客户")).to_be_visible()
    expect(sales_page.get_by_role("heading", name="客户", exact=True)).to_be_visible()
    rows = sales_page.locator("#result-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(own.name)
    expect(sales_page.get_by_role("link", name=other.name, exact=True)).to_have_count(0)

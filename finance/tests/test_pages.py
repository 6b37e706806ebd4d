"""The tuition ledger's pages: what each user sees, what each POST stores.

An enrollment of 李雷 in Python S9 (Beijing, 12000 yuan for 60 hours, 2 per
lesson), 4000 paid by WeChat, 4 hours consumed; a Shanghai enrollment for
the scopes. Finance holds every campus and reverses entries; sales B sells
李雷's enrollment (own scope); the Shanghai manager sees his campus.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Enrollment, Payment
from finance.ledger import balance_of, entry_append
from finance.models import (
    GENESIS,
    ContractTerms,
    Instalment,
    LedgerEntry,
    Receipt,
    RefundPolicy,
    RefundRequest,
    Suspension,
    Transfer,
)
from finance.services import (
    payment_record,
    plan_even,
    plan_set,
    refund_request_create,
    terms_at_approval,
)
from finance.templatetags.finance_tags import rmb_capital
from finance.urls import urlpatterns
from kingadmin.permissions import registry
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    ContractTemplateFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
KIND = LedgerEntry.Kind
FINANCE_PERMS = (
    "finance.view_all_accounts",
    "finance.manage_all_accounts",
    "finance.decide_refunds",
    "crm.view_classlist",
)
SALES_PERMS = (
    "finance.view_own_accounts",
    "finance.manage_own_accounts",
    "crm.view_classlist",
)
CAMPUS_PERMS = ("finance.view_campus_accounts",)


def permissions(*names: str) -> list[Permission]:
    return [
        Permission.objects.get(
            content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
        )
        for name in names
    ]


def user_with(username, perms, **fields):
    role = RoleFactory(name=f"Role of {username}", permissions=permissions(*perms))
    return UserFactory(username=username, roles=[role], **fields)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def approved(class_list, consultant, name, by):
    enrollment = EnrollmentFactory(
        customer=CustomerFactory(name=name, consultant=consultant),
        class_list=class_list,
        consultant=consultant,
        approved=True,
    )
    terms_at_approval(enrollment=enrollment, by=by)
    return enrollment


def consume(enrollment, hours, by=None):
    return entry_append(
        enrollment=enrollment,
        kind=KIND.CONSUMPTION,
        hours=-D(hours),
        reason="Lesson",
        by=by,
    )


@pytest.fixture
def school():
    # The migrations made the default policy; the school's terms.
    RefundPolicy.objects.update_or_create(
        is_default=True,
        defaults={
            "name": "标准退费政策",
            "fee": D("200.00"),
            "no_refund_after_percent": 50,
        },
    )
    beijing = BranchFactory(name="北京校区", address="海淀区 1 号")
    shanghai = BranchFactory(name="上海校区")
    python = CourseFactory(
        name="Python",
        price=D("12000.00"),
        class_hours=D("60.0"),
        hours_per_lesson=D("2.0"),
    )
    start = timezone.localdate() - timedelta(days=30)
    s9 = ClassListFactory(
        name="Python S9",
        branch=beijing,
        course=python,
        start_date=start,
        contract_template=ContractTemplateFactory(
            content="{{ customer }} 报名 {{ class }}，学费 {{ price }} 元。"
        ),
    )
    s10 = ClassListFactory(
        name="Python S10", branch=beijing, course=python, start_date=start
    )
    sh1 = ClassListFactory(
        name="Python SH1", branch=shanghai, course=python, start_date=start
    )
    finance = user_with("finance", FINANCE_PERMS, display_name="财务小王")
    sales = user_with("sales_b", SALES_PERMS, display_name="销售B")
    other_sales = user_with("sales_c", SALES_PERMS, display_name="销售C")
    manager = user_with("manager_sh", CAMPUS_PERMS, campus=shanghai)
    student = UserFactory(username="lilei", display_name="李雷")
    enrollment = approved(s9, sales, "李雷", finance)
    enrollment.customer.user = student
    enrollment.customer.save()
    payment = payment_record(
        enrollment=enrollment,
        amount=D("4000.00"),
        method=Receipt.Method.WECHAT,
        by=finance,
        note="第一期",
    )
    consume(enrollment, "4.0")
    elsewhere = approved(sh1, other_sales, "韩梅梅", finance)
    return {
        "beijing": beijing,
        "shanghai": shanghai,
        "s9": s9,
        "s10": s10,
        "sh1": sh1,
        "finance": finance,
        "sales": sales,
        "other_sales": other_sales,
        "manager": manager,
        "student": student,
        "enrollment": enrollment,
        "payment": payment,
        "receipt": payment.entry.receipt,
        "elsewhere": elsewhere,
    }


def account_url(enrollment):
    return reverse("finance:enrollment", args=[enrollment.pk])


def test_every_finance_url_is_guarded_by_a_rule():
    for pattern in urlpatterns:
        assert registry.guards(f"finance:{pattern.name}"), pattern.name


# -- the account page


def test_finance_sees_terms_hours_money_plan_and_ledger(school):
    enrollment = school["enrollment"]
    terms = ContractTerms.objects.get(enrollment=enrollment)
    page = html(client_of(school["finance"]).get(account_url(enrollment)))

    assert "Account of 李雷 in Python S9" in page
    terms_block = page.split('data-testid="terms"')[1].split("</dl>")[0]
    assert "12000.00" in terms_block and "60.0" in terms_block
    assert "2.0" in terms_block
    assert terms.valid_until.isoformat() in terms_block
    assert "标准退费政策" in terms_block and "Fee after the start: 200.00" in page
    assert "No refund past 50% of the hours consumed" in page
    assert terms.sha256 in page and len(terms.sha256) == 64
    # Hours and their value at 12000 / 60 = 200 yuan an hour.
    assert re.search(r'hours-bought">.*?60\.0</td>.*?12000\.00</td>', page)
    assert re.search(r'hours-consumed">.*?4\.0</td>.*?800\.00</td>', page)
    assert re.search(r'hours-remaining">.*?56\.0</td>.*?11200\.00</td>', page)
    assert 'data-testid="paid">4000.00<' in page
    assert 'data-testid="due">8000.00<' in page
    # The plan from approval: one payment of the price, 4000 of it paid.
    plan = page.split('data-testid="instalment-1"')[1].split("</tr>")[0]
    assert "12000.00" in plan and "4000.00" in plan and "8000.00" in plan
    # Newest entry first: consumption (3), payment (2), hours bought (1).
    ledger = page.split('data-testid="ledger"')[1].split("</table>")[0]
    order = [int(n) for n in re.findall(r'data-testid="entry-(\d+)"', ledger)]
    assert order == [3, 2, 1]
    payment_row = ledger.split('data-testid="entry-2"')[1].split("</tr>")[0]
    code = school["receipt"].code
    assert "Payment" in payment_row and "4000.00" in payment_row
    assert "第一期" in payment_row and "财务小王" in payment_row
    assert f"Receipt {code}" in payment_row
    assert reverse("finance:receipt", args=[school["receipt"].pk]) in payment_row
    # Every form finance may use, the reversal included.
    for form in ("payment", "plan", "refund", "transfer", "suspend"):
        assert f'data-testid="{form}-form"' in page, form
    assert reverse("finance:entry_reverse", args=[school["payment"].entry.pk]) in page
    # The refund the policy gives today, step by step: 56 / 60 of 12000 is
    # 11200, capped at the 4000 paid, less the 200 fee.
    assert "Consumed 4.0 of 60.0 hours (6.7%)." in page
    assert 'data-testid="refund-amount">Refund: 3800.00 yuan<' in page
    assert "The new class starts with 3200.00 yuan" in page


def test_the_consultant_manages_own_accounts_but_reverses_nothing(school):
    page = html(client_of(school["sales"]).get(account_url(school["enrollment"])))

    assert 'data-testid="payment-form"' in page
    assert 'data-testid="transfer-form"' in page
    assert "/reverse/" not in page
    # The receipt is among the pages of view_own_accounts.
    assert reverse("finance:receipt", args=[school["receipt"].pk]) in page


def test_a_viewer_who_may_not_manage_sees_no_form(school):
    viewer = user_with("viewer", ("finance.view_all_accounts",))
    page = html(client_of(viewer).get(account_url(school["enrollment"])))

    assert "Account of 李雷" in page
    assert '<form method="post" action="/finance/' not in page
    assert reverse("finance:receipt", args=[school["receipt"].pk]) in page


def test_an_enrollment_outside_the_scope_is_a_404(school):
    enrollment, elsewhere = school["enrollment"], school["elsewhere"]
    other_sales = client_of(school["other_sales"])
    manager = client_of(school["manager"])
    entry = school["payment"].entry
    receipt = school["receipt"]

    # The other consultant: 李雷 is not theirs, whatever the page.
    assert other_sales.get(account_url(enrollment)).status_code == 404
    assert other_sales.get(account_url(elsewhere)).status_code == 200
    for name in ("payment_new", "plan_set", "refund_request", "transfer", "suspend"):
        url = reverse(f"finance:{name}", args=[enrollment.pk])
        assert other_sales.post(url, {"reason": "x"}).status_code == 404, name
    assert (
        other_sales.get(reverse("finance:receipt", args=[receipt.pk])).status_code
        == 404
    )
    # The Shanghai manager sees Shanghai only.
    assert manager.get(account_url(enrollment)).status_code == 404
    assert manager.get(account_url(elsewhere)).status_code == 200
    assert manager.get(reverse("finance:receipt", args=[receipt.pk])).status_code == 404
    # Ids that do not exist are 404 too.
    finance = client_of(school["finance"])
    assert finance.get(reverse("finance:enrollment", args=[999999])).status_code == 404
    assert finance.get(reverse("finance:receipt", args=[999999])).status_code == 404
    assert (
        finance.post(
            reverse("finance:entry_reverse", args=[999999]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert LedgerEntry.objects.filter(enrollment=enrollment).count() == 3
    assert not LedgerEntry.objects.filter(reverses=entry).exists()


def test_a_user_without_a_finance_rule_is_refused_everywhere(school):
    nobody = client_of(UserFactory(username="nobody"))
    enrollment = school["enrollment"]
    gets = [
        account_url(enrollment),
        reverse("finance:receipt", args=[school["receipt"].pk]),
        reverse("finance:balances"),
        reverse("finance:overdue"),
        reverse("finance:refunds"),
    ]
    for url in gets:
        assert nobody.get(url).status_code == 403, url
    posts = [
        reverse(f"finance:{name}", args=[enrollment.pk])
        for name in ("payment_new", "plan_set", "refund_request", "transfer", "suspend")
    ]
    posts.append(reverse("finance:entry_reverse", args=[school["payment"].entry.pk]))
    for url in posts:
        assert nobody.post(url, {"reason": "x"}).status_code == 403, url
    # Sales may not decide refunds, see the balances or reverse entries.
    sales = client_of(school["sales"])
    assert sales.get(reverse("finance:refunds")).status_code == 403
    assert sales.get(reverse("finance:balances")).status_code == 403
    url = reverse("finance:entry_reverse", args=[school["payment"].entry.pk])
    assert sales.post(url, {"reason": "x"}).status_code == 403
    assert LedgerEntry.objects.filter(kind=KIND.CORRECTION).count() == 0
    # Anonymous: to the login page.
    response = Client().get(reverse("finance:balances"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_posts_need_the_csrf_token(school):
    client = Client(enforce_csrf_checks=True)
    client.force_login(school["finance"])
    url = reverse("finance:payment_new", args=[school["enrollment"].pk])
    response = client.post(url, {"payment-amount": "100.00"})
    assert response.status_code == 403
    assert Payment.objects.count() == 1


def test_gets_only_and_posts_only(school):
    finance = client_of(school["finance"])
    assert finance.post(account_url(school["enrollment"])).status_code == 405
    url = reverse("finance:payment_new", args=[school["enrollment"].pk])
    assert finance.get(url).status_code == 405


# -- writes from the account page


def test_recording_a_payment_issues_the_next_receipt(school):
    enrollment = school["enrollment"]
    client = client_of(school["sales"])
    url = reverse("finance:payment_new", args=[enrollment.pk])

    response = client.post(
        url,
        {
            "payment-amount": "2500.50",
            "payment-kind": "deposit",
            "payment-method": "alipay",
            "payment-note": "第二期",
        },
        follow=True,
    )

    payment = Payment.objects.get(note="第二期")
    receipt = payment.entry.receipt
    assert (payment.kind, payment.amount, payment.consultant) == (
        "deposit",
        D("2500.50"),
        school["sales"],
    )
    assert (payment.entry.kind, payment.entry.amount, payment.entry.created_by) == (
        KIND.PAYMENT,
        D("2500.50"),
        school["sales"],
    )
    assert receipt.method == "alipay" and receipt.payer == "李雷"
    assert receipt.number == school["receipt"].number + 1
    assert response.redirect_chain == [(account_url(enrollment), 302)]
    page = html(response)
    assert f"2500.50 yuan received; receipt {receipt.code}." in page
    assert 'data-testid="paid">6500.50<' in page
    assert balance_of(enrollment).paid == D("6500.50")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"payment-amount": "-5", "payment-method": "cash"}, "greater than or equal"),
        ({"payment-amount": "abc", "payment-method": "cash"}, "Enter a number."),
        ({"payment-amount": "1.234", "payment-method": "cash"}, "2 decimal places"),
        ({"payment-amount": "10", "payment-method": "gold"}, "Select a valid choice"),
    ],
)
def test_a_bad_payment_is_refused_on_the_form_and_nothing_is_stored(
    school, data, error
):
    client = client_of(school["finance"])
    data = {"payment-kind": "tuition", **data}
    url = reverse("finance:payment_new", args=[school["enrollment"].pk])

    page = html(client.post(url, data))

    assert "Nothing was saved: correct the form below." in page
    assert error in page
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 4


def test_a_service_refusal_shows_on_the_form(school):
    """A payment for a closed enrollment: the service refuses, the page says so."""
    enrollment = school["enrollment"]
    Enrollment.objects.filter(pk=enrollment.pk).update(state=Enrollment.State.CLOSED)
    client = client_of(school["finance"])
    url = reverse("finance:payment_new", args=[enrollment.pk])

    page = html(
        client.post(
            url,
            {
                "payment-amount": "10",
                "payment-kind": "tuition",
                "payment-method": "cash",
            },
        )
    )

    assert "Only an approved enrollment that is not closed can do this." in page
    assert Payment.objects.count() == 1


def test_setting_monthly_instalments_and_back_to_one_payment(school):
    enrollment = school["enrollment"]
    client = client_of(school["finance"])
    url = reverse("finance:plan_set", args=[enrollment.pk])
    first = timezone.localdate() - timedelta(days=40)

    response = client.post(
        url,
        {"plan-mode": "monthly", "plan-count": "3", "plan-first_due": first},
        follow=True,
    )

    plan = list(Instalment.objects.filter(enrollment=enrollment).order_by("number"))
    assert [(i.due_date, i.amount) for i in plan] == plan_even(
        price=D("12000.00"), count=3, first_due=first
    )
    page = html(response)
    assert "The payment plan has 3 instalments now." in page
    # 4000 paid covers the first; the second is due already and unpaid.
    second = page.split('data-testid="instalment-2"')[1].split("</tr>")[0]
    assert "Overdue" in second and "4000.00" in second
    first_row = page.split('data-testid="instalment-1"')[1].split("</tr>")[0]
    assert "Paid" in first_row

    client.post(url, {"plan-mode": "full", "plan-first_due": "2030-01-15"})
    assert [
        (i.due_date, i.amount) for i in Instalment.objects.filter(enrollment=enrollment)
    ] == [(date(2030, 1, 15), D("12000.00"))]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"plan-mode": "monthly", "plan-first_due": "2030-01-15"},
            "Say in how many monthly instalments the price is paid.",
        ),
        (
            {"plan-mode": "monthly", "plan-count": "30", "plan-first_due": "2030-1-1"},
            "less than or equal to 24",
        ),
        ({"plan-mode": "full", "plan-first_due": "soon"}, "Enter a valid date."),
    ],
)
def test_a_bad_plan_is_refused_and_the_plan_is_kept(school, data, error):
    enrollment = school["enrollment"]
    before = list(Instalment.objects.filter(enrollment=enrollment).values())
    url = reverse("finance:plan_set", args=[enrollment.pk])

    page = html(client_of(school["finance"]).post(url, data))

    assert error in page
    assert list(Instalment.objects.filter(enrollment=enrollment).values()) == before


def test_asking_for_a_refund_stores_the_computation_and_hides_the_form(school):
    enrollment = school["enrollment"]
    client = client_of(school["sales"])
    url = reverse("finance:refund_request", args=[enrollment.pk])

    page = html(client.post(url, {"refund-reason": "  "}))
    assert "This field is required." in page
    assert not RefundRequest.objects.exists()

    response = client.post(url, {"refund-reason": "搬家去外地"}, follow=True)

    asked = RefundRequest.objects.get()
    assert (asked.state, asked.amount, asked.requested_by) == (
        "pending",
        D("3800.00"),
        school["sales"],
    )
    assert "Consumed 4.0 of 60.0 hours (6.7%)." in asked.steps
    page = html(response)
    assert "The refund of 3800.00 yuan was asked for" in page
    assert 'data-testid="refund-form"' not in page
    assert "Waiting for approval" in page and "搬家去外地" in page


def test_transfer_moves_the_value_to_the_new_class(school):
    enrollment = school["enrollment"]
    client = client_of(school["finance"])
    url = reverse("finance:transfer", args=[enrollment.pk])
    page = html(client.get(account_url(enrollment)))
    select = page.split('name="transfer-class_list"')[1].split("</select>")[0]
    # Open classes the user may view, not the current one.
    assert "Python S10" in select and "Python SH1" in select
    assert "Python S9" not in select

    response = client.post(
        url,
        {"transfer-class_list": school["s10"].pk, "transfer-reason": "换到晚班"},
        follow=True,
    )

    moved = Transfer.objects.get()
    assert (moved.source, moved.target.class_list, moved.value) == (
        enrollment,
        school["s10"],
        D("3200.00"),
    )
    enrollment.refresh_from_db()
    assert enrollment.state == Enrollment.State.CLOSED
    assert response.redirect_chain[-1][0] == account_url(moved.target)
    page = html(response)
    assert "李雷 moved to Python S10 with 3200.00 yuan." in page
    assert "Transferred in from Python S9" in page


def test_transfer_to_a_class_the_user_may_not_view_is_refused(school):
    enrollment = school["enrollment"]
    blind = user_with("blind", ("finance.manage_all_accounts",))
    url = reverse("finance:transfer", args=[enrollment.pk])

    page = html(
        client_of(blind).post(
            url, {"transfer-class_list": school["s10"].pk, "transfer-reason": "x"}
        )
    )

    assert "Select a valid choice" in page
    assert not Transfer.objects.exists()
    assert Enrollment.objects.get(pk=enrollment.pk).state == Enrollment.State.APPROVED


def test_a_suspension_extends_the_validity(school):
    enrollment = school["enrollment"]
    terms = ContractTerms.objects.get(enrollment=enrollment)
    url = reverse("finance:suspend", args=[enrollment.pk])
    client = client_of(school["finance"])

    page = html(
        client.post(
            url,
            {
                "suspend-starts_on": "2030-03-10",
                "suspend-ends_on": "2030-03-01",
                "suspend-reason": "生病",
            },
        )
    )
    assert "The end is on or after the start." in page
    assert not Suspension.objects.exists()

    response = client.post(
        url,
        {
            "suspend-starts_on": "2030-03-01",
            "suspend-ends_on": "2030-03-10",
            "suspend-reason": "生病",
        },
        follow=True,
    )

    suspension = Suspension.objects.get()
    assert (suspension.starts_on, suspension.ends_on, suspension.reason) == (
        date(2030, 3, 1),
        date(2030, 3, 10),
        "生病",
    )
    page = html(response)
    assert "The enrollment is suspended from 2030-03-01 until 2030-03-10." in page
    extended = terms.valid_until + timedelta(days=10)
    assert f'data-testid="valid-until">{extended.isoformat()}' in page
    assert "2030-03-01 – 2030-03-10 · 生病" in page


def test_reversing_a_payment_cancels_it_and_its_receipt(school):
    entry = school["payment"].entry
    client = client_of(school["finance"])
    url = reverse("finance:entry_reverse", args=[entry.pk])

    page = html(client.post(url, {"reason": ""}, follow=True))
    assert "Say why the entry is reversed." in page
    assert not LedgerEntry.objects.filter(kind=KIND.CORRECTION).exists()

    page = html(client.post(url, {"reason": "录错了"}, follow=True))

    correction = LedgerEntry.objects.get(kind=KIND.CORRECTION)
    assert (correction.reverses, correction.amount, correction.reason) == (
        entry,
        D("-4000.00"),
        "录错了",
    )
    assert "Entry 2 was reversed by entry 4." in page
    assert "Reverses #2 (Payment)" in page and "Reversed by #4" in page
    assert 'data-testid="paid">0.00<' in page
    # Twice: refused with the service's reason.
    page = html(client.post(url, {"reason": "again"}, follow=True))
    assert "This entry was reversed already." in page
    assert LedgerEntry.objects.filter(kind=KIND.CORRECTION).count() == 1
    receipt = html(client.get(reverse("finance:receipt", args=[school["receipt"].pk])))
    assert "Cancelled: the payment was reversed on" in receipt


# -- balances, overdue, refunds, receipts


def test_balances_of_every_campus_with_a_filter_and_totals(school):
    client = client_of(school["finance"])
    url = reverse("finance:balances")
    enrollment, elsewhere = school["enrollment"], school["elsewhere"]
    plan_set(
        enrollment=enrollment,
        instalments=[
            (timezone.localdate() - timedelta(days=5), D("6000.00")),
            (timezone.localdate() + timedelta(days=25), D("6000.00")),
        ],
        by=None,
    )

    page = html(client.get(url))

    row = page.split(f'data-testid="balance-{enrollment.pk}"')[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert re.sub("<[^>]+>", "", cells[0]).strip() == "李雷"
    assert account_url(enrollment) in cells[0]
    assert [c.strip() for c in cells[2:]] == [
        "12000.00",
        "4000.00",
        "8000.00",
        "60.0",
        "4.0",
        "56.0",
        "2000.00",
    ]
    assert f'data-testid="balance-{elsewhere.pk}"' in page
    totals = page.split('data-testid="totals"')[1].split("</tr>")[0]
    assert [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", totals)] == [
        "24000.00",
        "4000.00",
        "20000.00",
        "120.0",
        "4.0",
        "116.0",
        "2000.00",  # 韩梅梅's one payment is due today: not overdue yet
    ]
    # One campus.
    page = html(client.get(url, {"campus": school["shanghai"].pk}))
    assert f'data-testid="balance-{elsewhere.pk}"' in page
    assert f'data-testid="balance-{enrollment.pk}"' not in page
    assert "1 open enrollment" in page
    # A campus that does not exist, or garbage: every campus.
    for raw in ("999999", "x'; DROP", ""):
        page = html(client.get(url, {"campus": raw, "page": "nope"}))
        assert "2 open enrollments" in page


def test_the_overdue_total_is_what_the_overdue_instalments_add_up_to(school):
    """The totals row sums the scope in SQL; the rows use overdue_instalments."""
    today = timezone.localdate()
    finance = school["finance"]
    three = plan_even(
        price=D("12000.00"), count=3, first_due=today - timedelta(days=40)
    )
    cases = {"部分": "5000.00", "多付": "9000.00", "欠退": None, "全款": "12000.00"}
    for name, paid in cases.items():
        enrollment = approved(school["s10"], school["sales"], name, finance)
        plan_set(enrollment=enrollment, instalments=three, by=finance)
        if paid:
            payment_record(enrollment=enrollment, amount=D(paid), by=finance)
        else:  # more refunded than received: every due instalment is owed
            entry_append(
                enrollment=enrollment, kind=KIND.REFUND, amount=D("-500.00"), by=None
            )
    plan_set(enrollment=school["enrollment"], instalments=three, by=finance)

    page = html(client_of(finance).get(reverse("finance:balances")))

    rows = re.findall(r'data-testid="balance-\d+">(.*?)</tr>', page)
    overdue = [D(re.findall(r"<td[^>]*>(.*?)</td>", row)[-1].strip()) for row in rows]
    totals = page.split('data-testid="totals"')[1].split("</tr>")[0]
    total = D(re.findall(r"<td[^>]*>(.*?)</td>", totals)[-1].strip())
    # 李雷 4000, 部分 3000, 多付 0, 欠退 8000, 全款 0, 韩梅梅 0 (due today).
    assert sorted(overdue) == [0, 0, 0, D("3000.00"), D("4000.00"), D("8000.00")]
    assert total == sum(overdue) == D("15000.00")


def test_a_campus_user_sees_the_balances_of_his_campus_only(school):
    page = html(client_of(school["manager"]).get(reverse("finance:balances")))

    assert f'data-testid="balance-{school["elsewhere"].pk}"' in page
    assert f'data-testid="balance-{school["enrollment"].pk}"' not in page
    assert 'data-testid="campus-filter"' not in page
    # A filter in the URL does not widen the scope.
    page = html(
        client_of(school["manager"]).get(
            reverse("finance:balances"), {"campus": school["beijing"].pk}
        )
    )
    assert f'data-testid="balance-{school["enrollment"].pk}"' not in page


def test_closed_enrollments_are_not_balances(school):
    Enrollment.objects.filter(pk=school["elsewhere"].pk).update(state="closed")
    page = html(client_of(school["finance"]).get(reverse("finance:balances")))
    assert f'data-testid="balance-{school["elsewhere"].pk}"' not in page
    assert "1 open enrollment" in page


def test_the_consultant_sees_his_overdue_instalments_finance_all(school):
    today = timezone.localdate()
    for enrollment in (school["enrollment"], school["elsewhere"]):
        plan_set(
            enrollment=enrollment,
            instalments=plan_even(
                price=D("12000.00"), count=3, first_due=today - timedelta(days=40)
            ),
            by=None,
        )
    url = reverse("finance:overdue")

    mine = html(client_of(school["sales"]).get(url))
    every = html(client_of(school["finance"]).get(url))

    # 李雷's 4000 paid the first; 韩梅梅 paid nothing: two overdue.
    assert "1 overdue instalment, 4000.00 yuan outstanding" in mine
    assert "李雷" in mine and "韩梅梅" not in mine
    assert "3 overdue instalments, 12000.00 yuan outstanding" in every
    row = every.split("李雷")[1].split("</tr>")[0]
    assert "#2" in row and "Python S9" in row and "销售B" in row


def test_finance_approves_and_rejects_refund_requests(school):
    enrollment, elsewhere = school["enrollment"], school["elsewhere"]
    asked = refund_request_create(
        enrollment=enrollment, reason="搬家", by=school["sales"]
    )
    other = refund_request_create(
        enrollment=elsewhere, reason="不想学了", by=school["other_sales"]
    )
    client = client_of(school["finance"])

    page = html(client.get(reverse("finance:refunds")))
    card = page.split(f'data-testid="refund-{asked.pk}"')[1].split("</form>")[0]
    assert "搬家" in card and "Refund: 3800.00 yuan" in card
    assert "Consumed 4.0 of 60.0 hours (6.7%)." in card
    assert "Asked by 销售B" in card

    decide = reverse("finance:refund_decide", args=[other.pk])
    page = html(client.post(decide, {"decision": "reject"}, follow=True))
    assert "Say why the refund is rejected." in page
    assert RefundRequest.objects.get(pk=other.pk).state == "pending"
    page = html(client.post(decide, {"decision": "maybe"}, follow=True))
    assert "Select a valid choice" in page
    assert RefundRequest.objects.get(pk=other.pk).state == "pending"

    page = html(
        client.post(decide, {"decision": "reject", "note": "合同未满"}, follow=True)
    )
    assert "The refund to 韩梅梅 was rejected." in page
    other.refresh_from_db()
    assert (other.state, other.decision_note, other.decided_by) == (
        "rejected",
        "合同未满",
        school["finance"],
    )

    response = client.post(
        reverse("finance:refund_decide", args=[asked.pk]),
        {"decision": "approve"},
        follow=True,
    )

    asked.refresh_from_db()
    enrollment.refresh_from_db()
    assert asked.state == "approved" and enrollment.state == "closed"
    refund = LedgerEntry.objects.get(enrollment=enrollment, kind=KIND.REFUND)
    assert (refund.amount, refund.hours) == (D("-3800.00"), D("-56.0"))
    page = html(response)
    assert (
        "The refund of 3800.00 yuan to 李雷 was approved; the enrollment is closed."
        in page
    )
    assert "No refund request is waiting." in page
    decided = page.split('data-testid="decided-refunds"')[1]
    assert decided.index("李雷") < decided.index("韩梅梅")  # latest first
    # Decided already: the second decision is refused.
    page = html(
        client.post(
            reverse("finance:refund_decide", args=[asked.pk]),
            {"decision": "reject", "note": "x"},
            follow=True,
        )
    )
    assert "This refund request was decided already." in page


def test_the_receipt_is_printable_with_the_amount_in_capitals(school):
    receipt = school["receipt"]
    response = client_of(school["finance"]).get(
        reverse("finance:receipt", args=[receipt.pk])
    )
    page = html(response)

    assert f'data-testid="receipt-code">{receipt.code}<' in page
    assert re.fullmatch(r"B\d+-\d{4}-000001", receipt.code)
    assert 'data-testid="receipt-campus">北京校区<' in page
    assert "海淀区 1 号" in page
    assert 'data-testid="receipt-payer">李雷<' in page
    assert "Tuition of Python S9 (Python) · 第一期" in page
    assert 'data-testid="receipt-amount">¥4000.00<' in page
    assert 'data-testid="receipt-amount-words">人民币肆仟元整<' in page
    assert 'data-testid="receipt-method">WeChat Pay<' in page
    assert 'data-testid="receipt-recorded-by">财务小王<' in page
    assert timezone.localtime(receipt.issued_at).strftime("%Y-%m-%d %H:%M") in page
    assert "data-print" in page and "/static/finance/finance.js" in page
    assert "/static/finance/finance.css" in page
    assert "Back to the account" in page
    assert "Cancelled" not in page


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("12000", "壹万贰仟元整"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("1001.50", "壹仟零壹元伍角"),
        ("100.05", "壹佰元零伍分"),
        ("10", "壹拾元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("100001000", "壹亿零壹仟元整"),
        ("10000001", "壹仟万零壹元整"),
        ("0.07", "柒分"),
        ("0", "零元整"),
        ("-3.20", "负叁元贰角"),
    ],
)
def test_amounts_in_chinese_capitals(amount, words):
    assert rmb_capital(D(amount)) == words


# -- the customer page and the student's contract


def test_the_customer_page_links_to_the_account_when_the_rules_allow(school):
    customer = school["enrollment"].customer
    url = reverse("crm:customer_detail", args=[customer.pk])
    viewer = user_with(
        "crm_viewer", ("crm.work_all_customers", "finance.view_own_accounts")
    )
    finance = user_with(
        "crm_finance", ("crm.work_all_customers", "finance.view_all_accounts")
    )
    blind = user_with("crm_only", ("crm.work_all_customers",))

    assert account_url(school["enrollment"]) in html(client_of(finance).get(url))
    # Not the viewer's sale: no link to a page that would be a 404.
    assert 'data-testid="account-link"' not in html(client_of(viewer).get(url))
    assert 'data-testid="account-link"' not in html(client_of(blind).get(url))


def test_the_student_sees_the_signed_contract_hours_money_and_receipts(school):
    enrollment = school["enrollment"]
    terms = ContractTerms.objects.get(enrollment=enrollment)
    student_role = RoleFactory(
        name="Student", permissions=permissions("student.use_student_portal")
    )
    school["student"].roles.add(student_role)
    # The template changes after signing: the student still sees what was signed.
    template = school["s9"].contract_template
    template.content = "新合同"
    template.save()
    plan_set(
        enrollment=enrollment,
        instalments=plan_even(
            price=D("12000.00"),
            count=3,
            first_due=timezone.localdate() - timedelta(days=40),
        ),
        by=None,
    )
    client = client_of(school["student"])

    page = html(client.get(reverse("student:contract", args=[enrollment.pk])))

    assert "李雷 报名 Python S9，学费 12000.00 元。" in page and "新合同" not in page
    assert terms.sha256 in page
    assert 'data-testid="hours-bought">60.0<' in page
    assert 'data-testid="hours-consumed">4.0<' in page
    assert 'data-testid="hours-remaining">56.0<' in page
    assert "Price 12000.00 · paid 4000.00 · balance 8000.00" in page
    second = page.split('data-testid="instalment-2"')[1].split("</li>")[0]
    assert "Overdue: 4000.00 to pay" in second
    receipt = school["receipt"]
    receipt_url = reverse("student:receipt", args=[enrollment.pk, receipt.pk])
    assert receipt_url in page

    page = html(client.get(receipt_url))
    assert f'data-testid="receipt-code">{receipt.code}<' in page
    assert "人民币肆仟元整" in page
    # Another student's receipt, or this one under another enrollment: 404.
    theirs = payment_record(
        enrollment=school["elsewhere"], amount=D("100.00"), by=school["finance"]
    ).entry.receipt
    for url in (
        reverse("student:receipt", args=[enrollment.pk, theirs.pk]),
        reverse("student:receipt", args=[school["elsewhere"].pk, theirs.pk]),
        reverse("student:receipt", args=[school["elsewhere"].pk, receipt.pk]),
    ):
        assert client.get(url).status_code == 404, url


# -- query counts and speed


def test_the_account_page_costs_the_same_with_more_entries(
    school, django_assert_max_num_queries
):
    enrollment = school["enrollment"]
    client = client_of(school["finance"])
    url = account_url(enrollment)
    with django_assert_max_num_queries(30) as few:
        html(client.get(url))
    for _ in range(6):
        payment_record(enrollment=enrollment, amount=D("100.00"), by=school["finance"])
        consume(enrollment, "2.0")
    entry_append(
        enrollment=enrollment,
        kind=KIND.CORRECTION,
        hours=D("2.0"),
        reverses=LedgerEntry.objects.filter(kind=KIND.CONSUMPTION).last(),
        reason="Wrong",
        by=None,
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(url))
    assert page.count("Receipt B") == 7


def test_the_balances_cost_the_same_with_more_enrollments(
    school, django_assert_max_num_queries
):
    client = client_of(school["finance"])
    url = reverse("finance:balances")
    with django_assert_max_num_queries(15) as few:
        html(client.get(url))
    for n in range(8):
        enrollment = approved(school["s10"], school["sales"], f"学员{n}", None)
        payment_record(enrollment=enrollment, amount=D("500.00"), by=school["sales"])
        consume(enrollment, "2.0")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(url))
    assert "10 open enrollments" in page


def test_the_overdue_and_refunds_pages_cost_the_same_with_more_rows(
    school, django_assert_max_num_queries
):
    client = client_of(school["finance"])
    today = timezone.localdate()
    pages = [reverse("finance:overdue"), reverse("finance:refunds")]
    counts = {}
    for url in pages:
        with django_assert_max_num_queries(12) as few:
            html(client.get(url))
        counts[url] = len(few.captured_queries)
    for n in range(5):
        enrollment = approved(school["s10"], school["sales"], f"学员{n}", None)
        plan_set(
            enrollment=enrollment,
            instalments=plan_even(
                price=D("12000.00"), count=2, first_due=today - timedelta(days=40)
            ),
            by=None,
        )
        refund_request_create(enrollment=enrollment, reason="x", by=school["sales"])
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            page = html(client.get(url))
        assert "学员4" in page


def _bulk_campus(class_list, consultant, count):
    """Add ``count`` approved enrollments with terms, a payment and a lesson.

    Rows written in bulk (the services write one at a time): the hashes are
    placeholders, which the pages never read.
    """
    now = timezone.now()
    policy = RefundPolicy.objects.get(is_default=True)
    customers = Customer.objects.bulk_create(
        Customer(name=f"学员{n}", qq=str(800000000 + n), consultant=consultant)
        for n in range(count)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            customer=customer,
            class_list=class_list,
            consultant=consultant,
            state=Enrollment.State.APPROVED,
            approved_by=consultant,
            approved_at=now,
        )
        for customer in customers
    )
    ContractTerms.objects.bulk_create(
        ContractTerms(
            enrollment=e,
            price=D("12000.00"),
            hours=D("60.0"),
            valid_until=date(2030, 1, 1),
            policy=policy,
            policy_terms={},
            contract_text="",
            sha256="0" * 64,
            created_at=now,
        )
        for e in enrollments
    )
    entries = []
    for e in enrollments:
        for sequence, (kind, amount, hours) in enumerate(
            [
                (KIND.HOURS_BOUGHT, D("0.00"), D("60.0")),
                (KIND.PAYMENT, D("3000.00"), D("0.0")),
                (KIND.CONSUMPTION, D("0.00"), D("-2.0")),
            ],
            start=1,
        ):
            entries.append(
                LedgerEntry(
                    enrollment=e,
                    sequence=sequence,
                    kind=kind,
                    amount=amount,
                    hours=hours,
                    created_at=now,
                    previous_hash=GENESIS,
                    entry_hash=f"{e.pk}-{sequence}",
                )
            )
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    Instalment.objects.bulk_create(
        Instalment(
            enrollment=e,
            number=1,
            due_date=timezone.localdate() - timedelta(days=3),
            amount=D("12000.00"),
        )
        for e in enrollments
    )


def test_a_campus_of_5000_enrollments_pages_in_the_queries_of_one(
    school, django_assert_max_num_queries
):
    """Its speed is bench/balances.py's; here, its work stays that of a page."""
    client = client_of(school["finance"])
    url = reverse("finance:balances")
    query = {"campus": school["beijing"].pk, "page": "1"}
    with django_assert_max_num_queries(30) as few:
        html(client.get(url, query))
    _bulk_campus(school["s10"], school["sales"], 5000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = html(client.get(url, {**query, "page": "20"}))
    assert "5001 open enrollments" in page
    assert page.count('data-testid="balance-') == 100

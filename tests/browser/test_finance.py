"""The tuition ledger (issue 16) as finance and a student see it.

1. Finance approves a refund on the refund page (the computation is shown),
   then opens the receipt of a payment from the student's account, prints
   it to PDF: the PDF holds the receipt, without the page's navigation.
2. The student opens their contract: the hours, the money paid and due, the
   overdue instalment, and the receipt of their payment.

The data is built with the services, as the pages would have written it.
"""

import re
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone, translation
from playwright.sync_api import expect

from crm.models import Customer, Enrollment
from finance.ledger import entry_append
from finance.models import LedgerEntry, Receipt, RefundPolicy, RefundRequest
from finance.services import (
    payment_record,
    plan_even,
    plan_set,
    refund_request_create,
    terms_at_approval,
)
from kingadmin.rules_sync import sync_rule_permissions
from tests.browser.conftest import flush_append_only_tables_too, log_in
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

pytestmark = pytest.mark.browser

D = Decimal
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's


def in_english(page, username):
    log_in(page, username, PASSWORD)
    # The switch posts and redirects: wait for it, or the next goto races it.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()


def role(name, *perms):
    return RoleFactory(
        name=name,
        permissions=[
            Permission.objects.get(
                content_type__app_label=perm.split(".")[0],
                codename=perm.split(".")[1],
            )
            for perm in perms
        ],
    )


@pytest.fixture
def ledger_site(transactional_db):
    """李雷 in Python S9 (one instalment overdue, a receipt); 韩梅梅 leaving."""
    sync_rule_permissions()
    RefundPolicy.objects.update_or_create(
        is_default=True,
        defaults={"name": "标准退费政策", "fee": D("200.00")},
    )
    finance = UserFactory(
        username="caiwu",
        display_name="财务小王",
        roles=[
            role(
                "财务",
                "finance.view_all_accounts",
                "finance.manage_all_accounts",
                "finance.decide_refunds",
            )
        ],
    )
    sales = UserFactory(
        username="sales_b",
        display_name="销售B",
        roles=[
            role("销售", "finance.view_own_accounts", "finance.manage_own_accounts")
        ],
    )
    student = UserFactory(
        username="lilei",
        display_name="李雷",
        roles=[role("学员", "student.use_student_portal")],
    )
    s9 = ClassListFactory(
        name="Python S9",
        branch=BranchFactory(name="北京校区", address="海淀区 1 号"),
        course=CourseFactory(
            name="Python 全栈开发",
            price=D("12000.00"),
            class_hours=D("60.0"),
            hours_per_lesson=D("2.0"),
        ),
        start_date=timezone.localdate() - timedelta(days=30),
        contract_template=ContractTemplateFactory(
            content="{{ customer }} 报名 {{ class }}，学费 {{ price }} 元。"
        ),
    )

    def enrol(name, user=None):
        enrollment = EnrollmentFactory(
            customer=CustomerFactory(name=name, consultant=sales, user=user),
            class_list=s9,
            consultant=sales,
            approved=True,
        )
        terms_at_approval(enrollment=enrollment, by=finance)
        return enrollment

    li_lei = enrol("李雷", user=student)
    plan_set(
        enrollment=li_lei,
        instalments=plan_even(
            price=D("12000.00"),
            count=3,
            first_due=timezone.localdate() - timedelta(days=40),
        ),
        by=finance,
    )
    payment = payment_record(
        enrollment=li_lei,
        amount=D("4000.00"),
        method=Receipt.Method.WECHAT,
        by=finance,
        note="第一期",
    )
    for _ in range(3):
        entry_append(
            enrollment=li_lei,
            kind=LedgerEntry.Kind.CONSUMPTION,
            hours=D("-2.0"),
            reason="课",
            by=None,
        )
    han = enrol("韩梅梅")
    payment_record(enrollment=han, amount=D("12000.00"), by=finance)
    entry_append(
        enrollment=han,
        kind=LedgerEntry.Kind.CONSUMPTION,
        hours=D("-6.0"),
        reason="课",
        by=None,
    )
    # Asked from a page in English: the computation is stored as shown.
    with translation.override("en"):
        asked = refund_request_create(
            enrollment=han, reason="工作调动，去外地", by=sales
        )
    yield {
        "li_lei": li_lei,
        "han": han,
        "receipt": payment.entry.receipt,
        "asked": asked,
    }
    flush_append_only_tables_too()


# In a content stream: a font chosen ("/F4 12 Tf"), glyph codes ("<0035>"),
# the end of a text block ("ET").
TEXT_TOKENS = re.compile(r"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\bET\b")


def pdf_text(pdf: bytes) -> str:
    """Return the text of a PDF Chromium printed (Skia), one line per text block.

    No PDF library is installed: the objects are read by their ``/Length``,
    the FlateDecode streams inflated with zlib, and each font's glyph codes
    (Identity-H, two bytes) turned into characters with its ToUnicode CMap.
    """
    objects: dict[int, tuple[bytes, bytes]] = {}
    header = re.compile(rb"(\d+) 0 obj\b")
    position = 0
    while found := header.search(pdf, position):
        start = found.end()
        ends = (pdf.find(b"stream", start), pdf.find(b"endobj", start))
        end = min(i for i in ends if i >= 0)
        head, data = pdf[start:end], b""
        position = end + 6
        if pdf.startswith(b"stream", end):
            begin = end + len(b"stream")
            begin += 2 if pdf.startswith(b"\r\n", begin) else 1
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            data = pdf[begin : begin + length]
            if b"/FlateDecode" in head:
                data = zlib.decompress(data)
            position = begin + length
        objects[int(found.group(1))] = (head, data)

    def cmap_of(number: int) -> dict[str, str]:
        text = objects[number][1].decode("latin-1")
        mapping = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for source, target in re.findall(r"<(\w+)>\s*<(\w+)>", block):
                mapping[source.upper()] = bytes.fromhex(target).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for low, high, target in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
                first = int(target, 16)
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    code = f"{int(low, 16) + offset:04X}"
                    mapping[code] = chr(first + offset)
        return mapping

    fonts: dict[str, dict[str, str]] = {}
    for head, _data in objects.values():
        for block in re.findall(rb"/Font\s*<<(.*?)>>", head, re.S):
            for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", block):
                font_head = objects[int(number)][0]
                unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_head)
                if unicode:
                    fonts[name.decode()] = cmap_of(int(unicode.group(1)))
    lines = []
    for head, _data in objects.values():
        for number in re.findall(rb"/Contents (\d+) 0 R", head):
            content = objects[int(number)][1].decode("latin-1")
            font: dict[str, str] = {}
            line = ""
            for token in TEXT_TOKENS.finditer(content):
                if token.group(1):
                    font = fonts.get(token.group(1), {})
                elif token.group(2) is not None:
                    codes = token.group(2).upper()
                    line += "".join(
                        font.get(codes[i : i + 4], "") for i in range(0, len(codes), 4)
                    )
                else:
                    lines.append(line)
                    line = ""
    return "\n".join(line for line in lines if line.strip())


def test_finance_approves_a_refund_and_prints_a_receipt(page, ledger_site):
    asked, han = ledger_site["asked"], ledger_site["han"]
    receipt = ledger_site["receipt"]
    in_english(page, "caiwu")

    # The refund page shows the request with its computation.
    page.goto("/finance/refunds/")
    expect(page.get_by_role("heading", name="Refund requests")).to_be_visible()
    card = page.get_by_test_id(f"refund-{asked.pk}")
    expect(card).to_contain_text("韩梅梅")
    expect(card).to_contain_text("工作调动，去外地")
    expect(card.get_by_test_id("steps").get_by_role("listitem")).to_have_text(
        [
            "Paid: 12000.00 yuan.",
            "Consumed 6.0 of 60.0 hours (10.0%).",
            "Unused hours are worth 12000.00 × 54.0 / 60.0 = 10800.00.",
            "The lesser of that and what was paid, minus the 200.00 fee.",
        ]
    )
    expect(card.get_by_test_id("amount")).to_have_text("Refund: 10600.00 yuan")
    with page.expect_navigation():
        card.get_by_role("button", name="Approve").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "The refund of 10600.00 yuan to 韩梅梅 was approved; the enrollment is closed."
    )
    expect(card).to_have_count(0)
    decided = page.get_by_test_id(f"decided-{asked.pk}")
    expect(decided).to_contain_text("Approved · 财务小王")
    expect(decided).to_contain_text("10600.00")
    asked.refresh_from_db()
    han.refresh_from_db()
    assert (asked.state, asked.decided_by.username) == ("approved", "caiwu")
    assert han.state == Enrollment.State.CLOSED
    refund = LedgerEntry.objects.get(enrollment=han, kind=LedgerEntry.Kind.REFUND)
    assert (refund.amount, refund.hours) == (D("-10600.00"), D("-54.0"))
    assert not RefundRequest.objects.filter(state="pending").exists()

    # 李雷's account: the payment's receipt, opened from the ledger.
    page.goto(f"/finance/enrollments/{ledger_site['li_lei'].pk}/")
    expect(page.get_by_test_id("due")).to_have_text("8000.00")
    page.get_by_test_id("ledger").get_by_role(
        "link", name=f"Receipt {receipt.code}"
    ).click()
    expect(page.get_by_role("heading", name="Receipt", exact=True)).to_be_visible()
    expect(page.get_by_test_id("receipt-code")).to_have_text(receipt.code)
    expect(page.get_by_test_id("receipt-amount")).to_have_text("¥4000.00")
    expect(page.get_by_test_id("receipt-amount-words")).to_have_text("人民币肆仟元整")
    expect(page.get_by_test_id("receipt-payer")).to_have_text("李雷")
    expect(page.get_by_test_id("receipt-method")).to_have_text("WeChat Pay")
    expect(page.get_by_test_id("receipt-recorded-by")).to_have_text("财务小王")

    # The button prints the page (window.print, stubbed: headless prints nothing).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") is True

    # Printed, only the receipt is left: no menu bar, no buttons.
    page.emulate_media(media="print")
    expect(page.get_by_test_id("receipt")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_test_id("language-switch")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the account")).to_be_hidden()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
    text = pdf_text(pdf)
    assert receipt.code in text
    assert "4000.00" in text
    assert "WeChat Pay" in text and "Received from" in text
    assert "Print" not in text and "Back to the account" not in text
    assert "Log out" not in text


def test_the_student_sees_hours_balance_plan_and_receipt(page, ledger_site):
    li_lei = ledger_site["li_lei"]
    receipt = ledger_site["receipt"]
    assert Customer.objects.get(user__username="lilei") == li_lei.customer
    in_english(page, "lilei")

    page.goto("/student/")
    page.get_by_test_id(f"enrollment-{li_lei.pk}").get_by_role(
        "link", name="Contract"
    ).click()
    expect(page.get_by_test_id("contract")).to_contain_text(
        "李雷 报名 Python S9，学费 12000.00 元。"
    )
    expect(page.get_by_test_id("sha256")).to_contain_text(li_lei.contract_terms.sha256)
    expect(page.get_by_test_id("hours-bought")).to_have_text("60.0")
    expect(page.get_by_test_id("hours-consumed")).to_have_text("6.0")
    expect(page.get_by_test_id("hours-remaining")).to_have_text("54.0")
    expect(page.get_by_test_id("balance")).to_have_text(
        "Price 12000.00 · paid 4000.00 · balance 8000.00"
    )
    expect(page.get_by_test_id("instalment-1")).to_contain_text("Paid")
    expect(page.get_by_test_id("instalment-2")).to_contain_text(
        "Overdue: 4000.00 to pay"
    )
    expect(page.get_by_test_id("instalment-3")).not_to_contain_text("Overdue")

    page.get_by_role("link", name=f"Receipt {receipt.code}").click()
    expect(page.get_by_test_id("receipt-code")).to_have_text(receipt.code)
    expect(page.get_by_test_id("receipt-amount")).to_have_text("¥4000.00")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    # Another student's receipt is not theirs to see.
    other = Receipt.objects.exclude(pk=receipt.pk).get()
    response = page.goto(
        f"/student/classes/{ledger_site['han'].pk}/receipts/{other.pk}/"
    )
    assert response.status == 404

"""Fuzz the finance pages: the account's forms, the refund decision, the lists.

Any post to an enrollment's account (payment, plan, refund request,
transfer, suspension, reversal) is saved and redirects, or comes back with
its errors and changes nothing; an id outside the user's scope is a 404.
The list pages take any query string.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from crm.models import ClassList, Enrollment
from finance.forms import (
    PaymentForm,
    PlanForm,
    RefundRequestForm,
    SuspendForm,
    TransferForm,
)
from finance.models import (
    Instalment,
    LedgerEntry,
    Receipt,
    RefundRequest,
    Suspension,
    Transfer,
)
from finance.services import refund_request_create
from tests.fuzz.strategies import hostile_text, initial_data, post_data, query_string
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import assert_shows_errors, count, ids_or_hostile

WRITTEN = (LedgerEntry, Receipt, Instalment, RefundRequest, Suspension, Transfer)


def _account(fuzz_db) -> Enrollment:
    """李雷's enrollment: terms, a plan of three, two payments (seed_demo)."""
    return Enrollment.objects.get(customer__user=fuzz_db.users["student"])


FORMS = {
    "payments": (PaymentForm, "payment_form"),
    "plan": (PlanForm, "plan_form"),
    "refund": (RefundRequestForm, "refund_form"),
    "suspend": (SuspendForm, "suspend_form"),
}


def test_account_forms(fuzz_db):
    finance = fuzz_db.users["finance"]
    enrollment = _account(fuzz_db)

    @fuzz_settings(40)
    @given(
        action=st.sampled_from(sorted(FORMS)),
        pk=ids_or_hostile(enrollment.pk),
        data=st.data(),
    )
    def run(action, pk, data):
        form_class, name = FORMS[action]
        form = form_class()
        posted = data.draw(post_data(form, base=initial_data(form)))
        with rolled_back():
            before = count(*WRITTEN)
            response = client_for(finance).post(
                f"/finance/enrollments/{pk}/{action}/", posted
            )
            if pk != str(enrollment.pk):
                assert response.status_code == 404
            elif response.status_code == 302:
                return
            else:
                assert_shows_errors(response, name)
            assert count(*WRITTEN) == before

    run()


def test_transfer_form(fuzz_db):
    finance = fuzz_db.users["finance"]
    enrollment = _account(fuzz_db)
    other = ClassList.objects.exclude(pk=enrollment.class_list_id).first()
    form = TransferForm(classes=ClassList.objects.all(), current=enrollment.class_list)

    @fuzz_settings(20)
    @given(data=post_data(form, base=initial_data(form)))
    @example(data={"transfer-class_list": str(other.pk), "transfer-reason": " "})
    @example(
        data={
            "transfer-class_list": str(enrollment.class_list_id),
            "transfer-reason": "换班",
        }
    )
    def run(data):
        with rolled_back():
            before = count(*WRITTEN, Enrollment)
            response = client_for(finance).post(
                f"/finance/enrollments/{enrollment.pk}/transfer/", data
            )
            if response.status_code == 302:
                return
            assert_shows_errors(response, "transfer_form")
            assert count(*WRITTEN, Enrollment) == before

    run()


def test_entry_reversal(fuzz_db):
    finance = fuzz_db.users["finance"]
    entry = (
        LedgerEntry.objects.filter(
            enrollment=_account(fuzz_db), kind=LedgerEntry.Kind.PAYMENT
        )
        .order_by("pk")
        .first()
    )

    @fuzz_settings(20)
    @given(reason=hostile_text, pk=ids_or_hostile(entry.pk))
    @example(reason="  ", pk=str(entry.pk))
    def run(reason, pk):
        with rolled_back():
            before = count(LedgerEntry)
            response = client_for(finance).post(
                f"/finance/entries/{pk}/reverse/", {"reason": reason}
            )
            if pk != str(entry.pk):
                assert response.status_code == 404
                assert count(LedgerEntry) == before
                return
            assert response.status_code == 302
            # Reversed with a reason, or refused (no reason, too long, a
            # NUL) with nothing written.
            if LedgerEntry.objects.filter(reverses=entry).exists():
                assert reason.strip()
                assert count(LedgerEntry)[0] == before[0] + 1
            else:
                assert count(LedgerEntry) == before

    run()


def test_refund_decision(fuzz_db):
    finance = fuzz_db.users["finance"]
    enrollment = _account(fuzz_db)
    asked = refund_request_create(enrollment=enrollment, reason="搬家", by=finance)

    @fuzz_settings(20)
    @given(
        decision=st.one_of(st.sampled_from(["approve", "reject"]), hostile_text),
        note=hostile_text,
        pk=ids_or_hostile(asked.pk),
    )
    def run(decision, note, pk):
        with rolled_back():
            before = count(LedgerEntry)
            response = client_for(finance).post(
                f"/finance/refunds/{pk}/decide/", {"decision": decision, "note": note}
            )
            state = RefundRequest.objects.get(pk=asked.pk).state
            if pk != str(asked.pk):
                assert response.status_code == 404
                assert state == "pending"
                return
            assert response.status_code == 302
            if state == "pending":
                assert count(LedgerEntry) == before
            else:
                assert decision in ("approve", "reject")
                assert state == {"approve": "approved", "reject": "rejected"}[decision]

    run()


def test_list_pages_take_any_query_string(fuzz_db):
    finance = fuzz_db.users["finance"]

    @fuzz_settings(30)
    @given(
        pairs=st.lists(
            st.tuples(
                st.sampled_from(["campus", "page", "o", "x", "period", "format"]),
                hostile_text,
            ),
            max_size=4,
        ),
        path=st.sampled_from(
            [
                "/finance/balances/",
                "/finance/overdue/",
                "/finance/refunds/",
                "/finance/reports/",
            ]
        ),
    )
    def run(pairs, path):
        response = client_for(finance).get(f"{path}?{query_string(pairs)}")
        assert response.status_code == 200

    run()

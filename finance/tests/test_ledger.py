"""The tuition ledger: append-only, chained, balances as sums of entries."""

from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from finance.ledger import balance_of, entry_append, entry_reverse, verify
from finance.models import GENESIS, LedgerEntry
from finance.triggers import append_only
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
KIND = LedgerEntry.Kind


@pytest.fixture
def history():
    """A hand-made history: 40 hours bought, two payments, 6 hours used, a fix."""
    enrollment = EnrollmentFactory(approved=True)
    clerk = UserFactory(username="clerk")

    def add(kind, amount="0", hours="0", reason=""):
        return entry_append(
            enrollment=enrollment,
            kind=kind,
            amount=D(amount),
            hours=D(hours),
            reason=reason,
            by=clerk,
        )

    add(KIND.HOURS_BOUGHT, hours="40.0", reason="合同 40 课时")
    add(KIND.PAYMENT, amount="5000.00", reason="首付")
    wrong = add(KIND.PAYMENT, amount="3000.00", reason="第二期")
    add(KIND.CONSUMPTION, hours="-2.5")
    add(KIND.CONSUMPTION, hours="-3.5")
    entry_reverse(entry=wrong, reason="重复录入", by=clerk)
    add(KIND.PAYMENT, amount="2999.99", reason="第二期（更正）")
    add(KIND.REFUND, amount="-100.01", reason="教材费退回")
    return enrollment


def test_the_balance_is_the_sum_of_the_entries_exactly(history):
    balance = balance_of(history)

    assert balance.received == D("7899.98")  # 5000 + 3000 - 3000 + 2999.99 - 100.01
    assert balance.hours_bought == D("40.0")
    assert balance.hours_consumed == D("6.0")
    assert balance.hours_remaining == D("34.0")
    entries = LedgerEntry.objects.filter(enrollment=history)
    assert [e.sequence for e in entries] == list(range(1, 9))
    assert sum(e.amount for e in entries) == balance.received


def test_each_entry_is_chained_to_the_one_before(history):
    entries = list(LedgerEntry.objects.filter(enrollment=history))

    assert entries[0].previous_hash == GENESIS
    for before, after in pairwise(entries):
        assert after.previous_hash == before.entry_hash
    assert verify() == []
    call_command("ledger_check")


def test_the_database_refuses_to_change_or_delete_an_entry(history):
    entry = LedgerEntry.objects.filter(enrollment=history).first()

    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()

    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


def behind_the_apps_back(sql: str, params, table="finance_ledgerentry") -> None:
    """Run ``sql`` with the append-only triggers dropped (as an intruder could)."""
    name = {"finance_ledgerentry": "finance_ledger"}.get(table, "finance_terms")
    statements = append_only(connection.vendor, table, name)
    assert statements, "this database has append-only triggers"
    with connection.cursor() as cursor:
        for _create, drop in reversed(statements):
            cursor.execute(drop)
        cursor.execute(sql, params)
        for create, _drop in statements:
            cursor.execute(create)


def test_the_check_finds_an_amount_changedbehind_the_apps_back(history):
    second = LedgerEntry.objects.get(enrollment=history, sequence=2)

    behind_the_apps_back(
        "UPDATE finance_ledgerentry SET amount = %s WHERE id = %s",
        [D("50.00"), second.pk],
    )

    assert verify() == [
        f"enrollment {history.pk}, entry 2: changed after it was written."
    ]
    with pytest.raises(CommandError):
        call_command("ledger_check")


def test_the_check_finds_a_removed_entry(history):
    third = LedgerEntry.objects.get(enrollment=history, sequence=3)
    # The reversing entry points at it: remove that link first, as an intruder would.
    behind_the_apps_back(
        "UPDATE finance_ledgerentry SET reverses_id = NULL WHERE reverses_id = %s",
        [third.pk],
    )
    behind_the_apps_back("DELETE FROM finance_ledgerentry WHERE id = %s", [third.pk])

    problems = verify()

    assert f"enrollment {history.pk}, entry 4: entry 3 is missing." in problems
    assert (
        f"enrollment {history.pk}, entry 4: does not follow the entry before it."
        in problems
    )


def test_an_entry_is_reversed_once_with_a_reason(history):
    payment = LedgerEntry.objects.get(enrollment=history, sequence=2)
    clerk = payment.created_by

    with pytest.raises(ValidationError):
        entry_reverse(entry=payment, reason="  ", by=clerk)
    fix = entry_reverse(entry=payment, reason="退款走错账户", by=clerk)
    with pytest.raises(ValidationError):
        entry_reverse(entry=payment, reason="again", by=clerk)
    with pytest.raises(ValidationError):
        entry_reverse(entry=fix, reason="undo the fix", by=clerk)

    assert (fix.kind, fix.amount, fix.reverses) == (
        KIND.CORRECTION,
        D("-5000.00"),
        payment,
    )


@pytest.mark.parametrize(
    ("amount", "hours"),
    [("0", "0"), ("1.005", "0"), ("0", "1.25"), ("0.00", "0.0")],
)
def test_an_entry_moving_nothing_or_finer_than_a_cent_is_refused(amount, hours):
    enrollment = EnrollmentFactory(approved=True)

    with pytest.raises(ValidationError):
        entry_append(
            enrollment=enrollment,
            kind=KIND.PAYMENT,
            amount=D(amount),
            hours=D(hours),
            by=None,
        )

    assert not LedgerEntry.objects.exists()


def test_each_enrollment_has_its_own_chain(history):
    other = EnrollmentFactory(approved=True)

    first = entry_append(enrollment=other, kind=KIND.PAYMENT, amount=D("1.00"), by=None)

    assert (first.sequence, first.previous_hash) == (1, GENESIS)
    assert balance_of(other).received == D("1.00")
    assert verify() == []


def test_a_balance_is_one_query(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        balance_of(history)

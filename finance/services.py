"""The tuition ledger's operations: what an enrollment bought, paid, used, gets back.

- ``contract_terms_fix`` freezes the terms of an enrollment (price, hours,
  validity, the refund policy as it stands, the contract text and its
  SHA-256) and writes the hours bought into the ledger; approval calls it
  (``terms_at_approval``) with the course's hours and policy.
- ``plan_set`` / ``plan_even``: the payment plan (full or instalments).
- ``payment_record``: a payment, its ledger entry and its receipt, numbered
  without gaps per campus and year.
- ``consumption_sync``: the roll call's hours (课消), kept equal to what the
  attendance and the contract say, with a low-balance notice.
- ``refund_computation``, ``refund_request_create``, ``refund_decide``:
  退费, computed from the frozen policy, approved by finance.
- ``transfer`` (转班) and ``suspend`` (休学).

Every movement goes through ``finance.ledger.entry_append``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Branch, ClassList, Enrollment, Payment
from crm.selectors import enrollment_contract_text
from finance.ledger import (
    HOURS_ZERO,
    Balance,
    Movement,
    balance_of,
    entries_append,
    entry_append,
)
from finance.models import (
    ZERO,
    ContractTerms,
    Instalment,
    LedgerEntry,
    Receipt,
    RefundPolicy,
    RefundRequest,
    Suspension,
    Transfer,
)
from jobs.queue import enqueue_on_commit
from webhooks.models import Event
from webhooks.payloads import payment_payload, refund_payload
from webhooks.services import event_emit, event_wanted

CENT = Decimal("0.01")


def policy_terms(policy: RefundPolicy) -> dict:
    """Return the refund policy's terms as they are now (frozen in a contract)."""
    return {
        "name": policy.name,
        "full_refund_before_start": policy.full_refund_before_start,
        "fee": str(policy.fee),
        "no_refund_after_percent": policy.no_refund_after_percent,
        "absence_consumes": policy.absence_consumes,
    }


def terms_digest(terms: ContractTerms) -> str:
    """Return the SHA-256 of the terms and the contract text, as signed."""
    signed = {
        "enrollment": terms.enrollment_id,
        "price": str(terms.price),
        "hours": str(terms.hours),
        "hours_per_lesson": str(terms.hours_per_lesson),
        "valid_until": terms.valid_until.isoformat(),
        "policy": terms.policy_terms,
        "contract": terms.contract_text,
    }
    text = json.dumps(signed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def contract_terms_fix(
    *,
    enrollment: Enrollment,
    hours: Decimal,
    valid_until: date,
    policy: RefundPolicy,
    by: User | None,
    hours_per_lesson: Decimal | None = None,
) -> ContractTerms:
    """Freeze ``enrollment``'s terms and record the hours it bought, once."""
    if ContractTerms.objects.filter(enrollment=enrollment).exists():
        raise ValidationError(_("This enrollment's terms are fixed already."))
    course = enrollment.class_list.course
    terms = ContractTerms(
        enrollment=enrollment,
        price=course.price,
        hours=Decimal(hours),
        hours_per_lesson=Decimal(hours_per_lesson or course.hours_per_lesson),
        valid_until=valid_until,
        policy=policy,
        policy_terms=policy_terms(policy),
        contract_text=enrollment_contract_text(enrollment),
        created_at=timezone.now(),
    )
    terms.sha256 = terms_digest(terms)
    terms.full_clean(exclude=["enrollment", "policy"])
    terms.save()
    entry_append(
        enrollment=enrollment,
        kind=LedgerEntry.Kind.HOURS_BOUGHT,
        hours=terms.hours,
        reason=_("Contract: %(hours)s class hours") % {"hours": terms.hours},
        by=by,
    )
    return terms


@dataclass
class RefundComputation:
    """A refund's amount and the steps that led to it (shown to finance)."""

    amount: Decimal = ZERO
    steps: list[str] = field(default_factory=list)


def refund_computation(
    *, terms: ContractTerms, balance: Balance, started: bool
) -> RefundComputation:
    """Return what ``terms``' frozen policy refunds, given the ledger's balance.

    ``started``: whether the class's first session was held. Before it (and
    with nothing consumed) the policy may refund everything paid.
    Afterwards the unused hours are refunded pro rata of the price, minus
    the policy's fee, never more than was paid and never below zero;
    past the policy's share of hours consumed, nothing.
    """
    policy = terms.policy_terms
    result = RefundComputation()
    received = balance.paid
    result.steps.append(_("Paid: %(amount)s yuan.") % {"amount": received})
    if (
        not started
        and not balance.hours_consumed
        and policy["full_refund_before_start"]
    ):
        result.amount = max(received, ZERO)
        result.steps.append(
            _("The class has not started: everything paid is refunded.")
        )
        return result
    consumed_percent = balance.hours_consumed * 100 / terms.hours
    result.steps.append(
        _("Consumed %(consumed)s of %(hours)s hours (%(percent)s%%).")
        % {
            "consumed": balance.hours_consumed,
            "hours": terms.hours,
            "percent": consumed_percent.quantize(Decimal("0.1"), ROUND_HALF_UP),
        }
    )
    if consumed_percent >= policy["no_refund_after_percent"]:
        result.steps.append(
            _("At least %(limit)s%% consumed: nothing is refunded.")
            % {"limit": policy["no_refund_after_percent"]}
        )
        return result
    unused = (terms.price * balance.hours_remaining / terms.hours).quantize(
        CENT, ROUND_HALF_UP
    )
    result.steps.append(
        _("Unused hours are worth %(price)s × %(remaining)s / %(hours)s = %(value)s.")
        % {
            "price": terms.price,
            "remaining": balance.hours_remaining,
            "hours": terms.hours,
            "value": unused,
        }
    )
    fee = Decimal(policy["fee"])
    amount = min(unused, received) - fee
    result.steps.append(
        _("The lesser of that and what was paid, minus the %(fee)s fee.") % {"fee": fee}
    )
    result.amount = max(amount, ZERO).quantize(CENT)
    return result


# -- contract terms at approval ------------------------------------------------


def policy_default() -> RefundPolicy:
    """Return the school's default refund policy (the migration made one)."""
    policy = RefundPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy = RefundPolicy.objects.order_by("pk").first()
    if policy is None:
        policy = RefundPolicy.objects.create(
            name=_("Standard refund policy"), is_default=True
        )
    return policy


def valid_until_of(enrollment: Enrollment) -> date:
    """Return the contract's last day: the class's start plus the course's months."""
    from crm.reports import add_months

    class_list = enrollment.class_list
    start = max(class_list.start_date, timezone.localdate())
    months = class_list.course.period_months
    # add_months gives the first of a month: the day before the month after.
    return add_months(start, months + 1).replace(day=1) - timedelta(days=1)


def terms_at_approval(*, enrollment: Enrollment, by: User) -> ContractTerms:
    """Fix ``enrollment``'s terms as it is approved: the course's hours and policy.

    The payment plan starts as one payment of the whole price, due when the
    class starts (today if it has); it can be split into instalments later.
    """
    course = enrollment.class_list.course
    terms = contract_terms_fix(
        enrollment=enrollment,
        hours=course.class_hours,
        hours_per_lesson=course.hours_per_lesson,
        valid_until=valid_until_of(enrollment),
        policy=course.refund_policy or policy_default(),
        by=by,
    )
    if terms.price > 0:
        due = max(enrollment.class_list.start_date, timezone.localdate())
        plan_set(enrollment=enrollment, instalments=[(due, terms.price)], by=by)
    return terms


def _terms_of(enrollment: Enrollment) -> ContractTerms:
    try:
        return ContractTerms.objects.get(enrollment=enrollment)
    except ContractTerms.DoesNotExist:
        raise ValidationError(
            _("This enrollment has no contract terms (approved before they existed).")
        ) from None


def _check_open(enrollment: Enrollment) -> None:
    if enrollment.state != Enrollment.State.APPROVED:
        raise ValidationError(
            _("Only an approved enrollment that is not closed can do this.")
        )


# -- payment plan ----------------------------------------------------------------

MAX_INSTALMENTS = 24


@transaction.atomic
def plan_set(
    *,
    enrollment: Enrollment,
    instalments: list[tuple[date, Decimal]],
    by: User | None,
) -> list[Instalment]:
    """Replace ``enrollment``'s payment plan: (due date, amount) pairs.

    The amounts add up to the contract price; money already paid is allotted
    to the new plan in due-date order (``finance.selectors.plan_status``).
    """
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
    terms = _terms_of(enrollment)
    if not instalments:
        raise ValidationError(_("A payment plan has at least one instalment."))
    if len(instalments) > MAX_INSTALMENTS:
        raise ValidationError(
            _("A payment plan has at most %(count)s instalments.")
            % {"count": MAX_INSTALMENTS}
        )
    rows = sorted((day, Decimal(amount).quantize(CENT)) for day, amount in instalments)
    if any(amount <= 0 for _day, amount in rows):
        raise ValidationError(_("Every instalment is more than 0 yuan."))
    total = sum((amount for _day, amount in rows), ZERO)
    if total != terms.price:
        raise ValidationError(
            _(
                "The instalments add up to %(total)s yuan; the contract price is "
                "%(price)s yuan."
            )
            % {"total": total, "price": terms.price}
        )
    Instalment.objects.filter(enrollment=enrollment).delete()
    return Instalment.objects.bulk_create(
        Instalment(enrollment=enrollment, number=n, due_date=day, amount=amount)
        for n, (day, amount) in enumerate(rows, start=1)
    )


def plan_even(
    *, price: Decimal, count: int, first_due: date
) -> list[tuple[date, Decimal]]:
    """Return ``count`` monthly instalments of ``price`` from ``first_due``.

    Equal amounts in yuan and cents; the first one takes the cents left over.
    """
    from crm.reports import add_months

    if not 1 <= count <= MAX_INSTALMENTS:
        raise ValidationError(
            _("Choose between 1 and %(count)s instalments.")
            % {"count": MAX_INSTALMENTS}
        )
    share = (price / count).quantize(CENT, rounding="ROUND_DOWN")
    first = price - share * (count - 1)
    rows = []
    for n in range(count):
        month = add_months(first_due, n)
        # The same day of each month, or the month's last day.
        last_day = (add_months(month, 1) - timedelta(days=1)).day
        rows.append((month.replace(day=min(first_due.day, last_day)), share))
    rows[0] = (rows[0][0], first)
    return rows


# -- payments and receipts ---------------------------------------------------------


def receipt_issue(*, entry: LedgerEntry, method: str, payer: str) -> Receipt:
    """Number ``entry``'s receipt: the next of its campus and year, no gaps.

    The campus row is locked for the rest of the transaction, so two
    payments at once at one campus take consecutive numbers; a rolled-back
    payment takes its number with it.
    """
    enrollment = entry.enrollment
    branch_id = enrollment.class_list.branch_id
    Branch.objects.select_for_update().filter(pk=branch_id).first()
    issued_at = entry.created_at
    year = timezone.localtime(issued_at).year
    last = (
        Receipt.objects.filter(branch_id=branch_id, year=year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    receipt = Receipt(
        entry=entry,
        branch_id=branch_id,
        year=year,
        number=(last or 0) + 1,
        method=method,
        payer=payer[:64],
        issued_at=issued_at,
    )
    receipt.full_clean(exclude=["entry", "branch"])
    receipt.save()
    return receipt


@transaction.atomic
def payment_record(
    *,
    enrollment: Enrollment,
    amount: Decimal,
    kind: str = Payment.Kind.TUITION,
    method: str = Receipt.Method.CASH,
    by: User,
    note: str = "",
) -> Payment:
    """Record money received for ``enrollment``: the payment, its entry, its receipt.

    Partial payments are welcome: the plan shows what is left of each
    instalment. The payment keeps its consultant (the enrollment's), so the
    sales reports count it for them.
    """
    # The state as of now, under the lock a refund or transfer takes.
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("customer", "class_list")
        .get(pk=enrollment.pk)
    )
    _check_open(enrollment)
    if kind not in (Payment.Kind.DEPOSIT, Payment.Kind.TUITION):
        raise ValidationError({"kind": _("A payment is a deposit or tuition.")})
    if method not in Receipt.Method.values:
        raise ValidationError({"method": _("Choose how it was paid.")})
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError(
            {"amount": _("The amount is more than 0, in yuan with two decimals.")}
        )
    payment = Payment(
        enrollment=enrollment,
        kind=kind,
        amount=amount,
        consultant_id=enrollment.consultant_id,
        note=note.strip()[:255],
    )
    payment.full_clean(exclude=["enrollment", "consultant", "entry"])
    payment.save()
    payment.entry = entry_append(
        enrollment=enrollment,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=amount,
        reason=payment.note or payment.get_kind_display(),
        source=f"payment:{payment.pk}",
        by=by,
    )
    payment.save(update_fields=["entry"])
    receipt_issue(entry=payment.entry, method=method, payer=enrollment.customer.name)
    if event_wanted(Event.PAYMENT_RECORDED):
        event_emit(Event.PAYMENT_RECORDED, payment_payload(payment))
    return payment


def _refund_payment(
    *, enrollment: Enrollment, amount: Decimal, hours: Decimal, reason: str, by: User
) -> LedgerEntry:
    """Write a refund: its entry and the refund row the sales reports count."""
    payment = None
    if amount:
        payment = Payment.objects.create(
            enrollment=enrollment,
            kind=Payment.Kind.REFUND,
            amount=amount,
            consultant_id=enrollment.consultant_id,
            note=reason[:255],
        )
    entry = entry_append(
        enrollment=enrollment,
        kind=LedgerEntry.Kind.REFUND,
        amount=-amount,
        hours=-hours,
        reason=reason,
        source=f"payment:{payment.pk}" if payment else "",
        by=by,
    )
    if payment is not None:
        payment.entry = entry
        payment.save(update_fields=["entry"])
    return entry


# -- consumption (课消) ---------------------------------------------------------------

CONSUMING = {
    "present": True,
    "late": True,
    "left_early": True,
}


def _hours_due(row: dict, suspended: set[int]) -> Decimal:
    """Return the hours a study record consumes, given attendance and contract."""
    per_lesson = row["enrollment__contract_terms__hours_per_lesson"]
    attendance = row["attendance"]
    if row["enrollment_id"] in suspended:
        return HOURS_ZERO
    if CONSUMING.get(attendance):
        return per_lesson
    policy = row["enrollment__contract_terms__policy_terms"] or {}
    if attendance == "absent" and policy.get("absence_consumes"):
        return per_lesson
    return HOURS_ZERO


@transaction.atomic
def consumption_sync(
    *, course_record_id: int, by: User | None, enrollment_ids=None
) -> int:
    """Make the ledger's consumption of a lesson match its roll call.

    Each study record of an approved enrollment with contract terms consumes
    the contract's hours per lesson when the student attended (present,
    late, left early), and when absent without leave if the contract's
    policy says so; on leave, not enrolled yet, or during a suspension:
    nothing. A record that consumes but has no entry gets one; one whose
    entry no longer applies gets it reversed (with the new state as
    reason). Called after every change of attendance; returns the number of
    entries written.
    """
    from teacher.models import StudyRecord

    records = StudyRecord.objects.filter(
        course_record_id=course_record_id,
        enrollment__state=Enrollment.State.APPROVED,
        enrollment__contract_terms__isnull=False,
    )
    if enrollment_ids is not None:
        records = records.filter(enrollment_id__in=list(enrollment_ids))
    rows = list(
        records.values(
            "pk",
            "enrollment_id",
            "attendance",
            "course_record__date",
            "course_record__lesson_number",
            "enrollment__contract_terms__hours_per_lesson",
            "enrollment__contract_terms__policy_terms",
        )
    )
    if not rows:
        return 0
    day = rows[0]["course_record__date"]
    suspended = set(
        Suspension.objects.filter(
            enrollment_id__in={r["enrollment_id"] for r in rows},
            starts_on__lte=day,
            ends_on__gte=day,
        ).values_list("enrollment_id", flat=True)
    )
    by_source = {f"study_record:{row['pk']}": row for row in rows}
    current = dict(
        LedgerEntry.objects.filter(source__in=list(by_source))
        .values("source")
        .annotate(total=Sum("hours"))
        .values_list("source", "total")
        .order_by()
    )
    labels = dict(StudyRecord.Attendance.choices)
    changes = []
    for source, row in by_source.items():
        want = _hours_due(row, suspended)
        have = -(current.get(source) or HOURS_ZERO)
        if want != have:
            changes.append((source, row, want, have))
    if not changes:
        return 0
    # The consumption entries the changes reverse: one query for the lesson.
    standing = {
        entry.source: entry
        for entry in LedgerEntry.objects.filter(
            source__in=[source for source, _row, _want, have in changes if have],
            kind=LedgerEntry.Kind.CONSUMPTION,
            reversed_by__isnull=True,
        ).order_by("sequence")
    }
    movements = []
    used: dict[int, Decimal] = {}
    for source, row, want, have in changes:
        what = _("Lesson %(number)s on %(date)s: %(attendance)s") % {
            "number": row["course_record__lesson_number"],
            "date": day,
            "attendance": labels.get(row["attendance"], row["attendance"]),
        }
        pk = row["enrollment_id"]
        if have and (entry := standing.get(source)) is not None:
            movements.append(
                Movement(
                    enrollment_id=pk,
                    kind=LedgerEntry.Kind.CORRECTION,
                    hours=-entry.hours,
                    reason=what,
                    source=source,
                    reverses=entry,
                )
            )
        if want:
            movements.append(
                Movement(
                    enrollment_id=pk,
                    kind=LedgerEntry.Kind.CONSUMPTION,
                    hours=-want,
                    reason=what,
                    source=source,
                )
            )
        used[pk] = used.get(pk, HOURS_ZERO) + want - have
    written = entries_append(movements, by=by)
    _low_hours_check({pk: hours for pk, hours in used.items() if hours > 0})
    return len(written)


def _low_hours_check(used: dict[int, Decimal]) -> None:
    """Tell students and consultants whose hours left just fell to the threshold.

    ``used``: the hours each enrollment consumed just now. One query for
    the hours left of all of them.
    """
    from finance.tasks import low_balance_notify

    if not used:
        return
    threshold = Decimal(settings.FINANCE_LOW_HOURS)
    remaining = dict(
        LedgerEntry.objects.filter(enrollment_id__in=list(used))
        .values("enrollment_id")
        .annotate(hours=Sum("hours"))
        .values_list("enrollment_id", "hours")
        .order_by()
    )
    for pk, hours in used.items():
        left = Decimal(remaining.get(pk) or 0).quantize(Decimal("0.1"))
        if left + hours > threshold >= left:
            enqueue_on_commit(
                low_balance_notify,
                enrollment_id=pk,
                remaining=str(left),
                language=get_language() or settings.LANGUAGE_CODE,
            )


# -- refunds (退费) ------------------------------------------------------------------


def class_started(enrollment: Enrollment) -> bool:
    """Return whether the class held its first lesson (or its start date passed)."""
    from teacher.models import CourseRecord

    class_list = enrollment.class_list
    if class_list.start_date <= timezone.localdate():
        return True
    return CourseRecord.objects.filter(class_list_id=class_list.pk).exists()


def refund_preview(enrollment: Enrollment) -> RefundComputation:
    """Return what ``enrollment`` would get back now, with the steps."""
    terms = _terms_of(enrollment)
    return refund_computation(
        terms=terms, balance=balance_of(enrollment), started=class_started(enrollment)
    )


@transaction.atomic
def refund_request_create(
    *, enrollment: Enrollment, reason: str, by: User
) -> RefundRequest:
    """Ask for ``enrollment`` to be refunded and closed; finance is told."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    _check_open(enrollment)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student leaves.")})
    if RefundRequest.objects.filter(
        enrollment=enrollment, state=RefundRequest.State.PENDING
    ).exists():
        raise ValidationError(
            _("This enrollment has a refund request waiting already.")
        )
    computation = refund_preview(enrollment)
    request = RefundRequest.objects.create(
        enrollment=enrollment,
        reason=reason.strip(),
        amount=computation.amount,
        steps=[str(step) for step in computation.steps],
        requested_by=by,
        requested_at=timezone.now(),
    )
    from finance.tasks import refund_requested_notify

    enqueue_on_commit(
        refund_requested_notify,
        request_id=request.pk,
        language=get_language() or settings.LANGUAGE_CODE,
    )
    return request


@transaction.atomic
def refund_decide(
    *, request: RefundRequest, approve: bool, by: User, note: str = ""
) -> RefundRequest:
    """Approve or reject a refund request.

    Approval computes the refund again (lessons may have been held since the
    request), writes one refund entry (the money back, the hours left
    forfeited), and closes the enrollment.
    """
    request = RefundRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != RefundRequest.State.PENDING:
        raise ValidationError(_("This refund request was decided already."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say why the refund is rejected.")})
    enrollment = Enrollment.objects.select_for_update().get(pk=request.enrollment_id)
    request.state = RefundRequest.State.REJECTED
    if approve:
        _check_open(enrollment)
        computation = refund_preview(enrollment)
        request.amount = computation.amount
        request.steps = [str(step) for step in computation.steps]
        remaining = balance_of(enrollment).hours_remaining
        if request.amount or remaining:
            _refund_payment(
                enrollment=enrollment,
                amount=request.amount,
                hours=remaining,
                reason=_("Refund: %(reason)s") % {"reason": request.reason},
                by=by,
            )
        enrollment.state = Enrollment.State.CLOSED
        enrollment.save(update_fields=["state"])
        request.state = RefundRequest.State.APPROVED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:255]
    request.save()
    from finance.tasks import refund_decided_notify

    enqueue_on_commit(
        refund_decided_notify,
        request_id=request.pk,
        language=get_language() or settings.LANGUAGE_CODE,
    )
    if approve and event_wanted(Event.REFUND_APPROVED):
        event_emit(Event.REFUND_APPROVED, refund_payload(request))
    return request


# -- transfers (转班) and suspensions (休学) ------------------------------------


def transfer_value(enrollment: Enrollment) -> tuple[Decimal, Balance]:
    """Return the money ``enrollment`` can carry to another class, and its balance.

    What was paid, less the value of the hours consumed (at the contract's
    price per hour), never below zero.
    """
    from finance.selectors import value_of_hours

    terms = _terms_of(enrollment)
    balance = balance_of(enrollment)
    used = value_of_hours(terms.price, terms.hours, balance.hours_consumed)
    return max(balance.paid - used, ZERO), balance


@transaction.atomic
def transfer(
    *, enrollment: Enrollment, class_list: ClassList, reason: str, by: User
) -> Transfer:
    """Move ``enrollment`` to ``class_list``: a new enrollment carries its value.

    The old enrollment gives its hours left and the money it can carry
    (``transfer_value``) and is closed; the new one is approved at once,
    with its own contract terms (the new course's price and hours) and the
    carried money in. A difference to pay stays owed on the new plan (one
    payment due today); a surplus is refunded.
    """
    from crm.services import _study_records_add

    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    _check_open(enrollment)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student changes class.")})
    if class_list.pk == enrollment.class_list_id:
        raise ValidationError({"class_list": _("Choose another class.")})
    if Enrollment.objects.filter(
        customer_id=enrollment.customer_id, class_list=class_list
    ).exists():
        raise ValidationError(
            {"class_list": _("The student has an enrollment in that class already.")}
        )
    value, balance = transfer_value(enrollment)
    now = timezone.now()
    target = Enrollment(
        customer_id=enrollment.customer_id,
        class_list=class_list,
        consultant_id=enrollment.consultant_id,
        state=Enrollment.State.APPROVED,
        contract_agreed=enrollment.contract_agreed,
        contract_agreed_at=enrollment.contract_agreed_at,
        submitted_at=now,
        approved_by=by,
        approved_at=now,
    )
    target.save()
    why = _("Transfer to %(class)s: %(reason)s") % {
        "class": class_list,
        "reason": reason.strip(),
    }
    if value or balance.hours_remaining:
        entry_append(
            enrollment=enrollment,
            kind=LedgerEntry.Kind.TRANSFER_OUT,
            amount=-value,
            hours=-balance.hours_remaining,
            reason=why,
            source=f"enrollment:{target.pk}",
            by=by,
        )
    enrollment.state = Enrollment.State.CLOSED
    enrollment.save(update_fields=["state"])
    terms = terms_at_approval(enrollment=target, by=by)
    if value:
        entry_append(
            enrollment=target,
            kind=LedgerEntry.Kind.TRANSFER_IN,
            amount=value,
            reason=_("Transfer from %(class)s") % {"class": enrollment.class_list},
            source=f"enrollment:{enrollment.pk}",
            by=by,
        )
    difference = terms.price - value
    if difference < 0:
        _refund_payment(
            enrollment=target,
            amount=-difference,
            hours=HOURS_ZERO,
            reason=_("Transfer: the new class costs less"),
            by=by,
        )
    elif terms.price:
        plan_set(
            enrollment=target,
            instalments=[(timezone.localdate(), terms.price)],
            by=by,
        )
    _study_records_add(target, today=timezone.localdate())
    return Transfer.objects.create(
        source=enrollment,
        target=target,
        value=value,
        difference=difference,
        reason=reason.strip()[:255],
        created_by=by,
        created_at=now,
    )


@transaction.atomic
def suspend(
    *, enrollment: Enrollment, starts_on: date, ends_on: date, reason: str, by: User
) -> Suspension:
    """Freeze ``enrollment`` from ``starts_on`` to ``ends_on`` (休学).

    Lessons in the period consume nothing, whatever the roll call says, and
    the contract stays valid that many days longer (``valid_until_with``).
    """
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    _check_open(enrollment)
    _terms_of(enrollment)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the enrollment is suspended.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end is on or after the start.")})
    if (ends_on - starts_on).days > 366:
        raise ValidationError({"ends_on": _("A suspension lasts a year at most.")})
    if Suspension.objects.filter(
        enrollment=enrollment, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).exists():
        raise ValidationError(
            _("The enrollment is suspended for part of that period already.")
        )
    suspension = Suspension.objects.create(
        enrollment=enrollment,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:255],
        created_by=by,
        created_at=timezone.now(),
    )
    entry_append(
        enrollment=enrollment,
        kind=LedgerEntry.Kind.SUSPENSION,
        reason=_("Suspended %(start)s – %(end)s: %(reason)s")
        % {"start": starts_on, "end": ends_on, "reason": suspension.reason},
        source=f"suspension:{suspension.pk}",
        by=by,
    )
    # Lessons already recorded in the period stop consuming.
    from teacher.models import CourseRecord

    for lesson_id in CourseRecord.objects.filter(
        class_list_id=enrollment.class_list_id,
        date__range=(starts_on, ends_on),
    ).values_list("pk", flat=True):
        consumption_sync(
            course_record_id=lesson_id, by=by, enrollment_ids=[enrollment.pk]
        )
    return suspension


def valid_until_with(terms: ContractTerms, suspensions) -> date:
    """Return the contract's last day, extended by the days it was suspended."""
    days = sum((s.ends_on - s.starts_on).days + 1 for s in suspensions)
    return terms.valid_until + timedelta(days=days)

"""Contract terms and refunds: what an enrollment bought, what it gets back.

``contract_terms_fix`` freezes the terms of an enrollment (price, hours,
validity, the refund policy as it stands, the contract text and its
SHA-256) and writes the hours bought into the ledger. ``refund_computation``
applies the frozen policy to the ledger's balance and shows each step.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Enrollment
from crm.selectors import enrollment_contract_text
from finance.ledger import Balance, entry_append
from finance.models import ZERO, ContractTerms, LedgerEntry, RefundPolicy

CENT = Decimal("0.01")


def policy_terms(policy: RefundPolicy) -> dict:
    """Return the refund policy's terms as they are now (frozen in a contract)."""
    return {
        "name": policy.name,
        "full_refund_before_start": policy.full_refund_before_start,
        "fee": str(policy.fee),
        "no_refund_after_percent": policy.no_refund_after_percent,
    }


def terms_digest(terms: ContractTerms) -> str:
    """Return the SHA-256 of the terms and the contract text, as signed."""
    signed = {
        "enrollment": terms.enrollment_id,
        "price": str(terms.price),
        "hours": str(terms.hours),
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
) -> ContractTerms:
    """Freeze ``enrollment``'s terms and record the hours it bought, once."""
    if ContractTerms.objects.filter(enrollment=enrollment).exists():
        raise ValidationError(_("This enrollment's terms are fixed already."))
    terms = ContractTerms(
        enrollment=enrollment,
        price=enrollment.class_list.course.price,
        hours=Decimal(hours),
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
    with nothing consumed) the policy may refund everything received.
    Afterwards the unused hours are refunded pro rata of the price, minus
    the policy's fee, never more than was received and never below zero;
    past the policy's share of hours consumed, nothing.
    """
    policy = terms.policy_terms
    result = RefundComputation()
    received = balance.received
    result.steps.append(_("Received: %(amount)s yuan.") % {"amount": received})
    if (
        not started
        and not balance.hours_consumed
        and policy["full_refund_before_start"]
    ):
        result.amount = max(received, ZERO)
        result.steps.append(
            _("The class has not started: everything received is refunded.")
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
        _("The lesser of that and what was received, minus the %(fee)s fee.")
        % {"fee": fee}
    )
    result.amount = max(amount, ZERO).quantize(CENT)
    return result

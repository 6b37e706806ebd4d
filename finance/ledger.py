"""Writing and checking the tuition ledger (finance.models.LedgerEntry).

``entry_append`` is the one way an entry is written: under a lock on the
enrollment's row it takes the enrollment's last entry, numbers the new one
after it and chains its hash to it. ``entry_reverse`` corrects a mistake
with an entry of the opposite amounts. ``balance_of`` sums an enrollment's
entries; ``verify`` recomputes every chain and finds what was changed,
removed or reordered behind the application's back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Enrollment
from finance.models import GENESIS, ZERO, LedgerEntry

HOURS_ZERO = Decimal("0.0")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def entry_digest(entry: LedgerEntry) -> str:
    """Return the SHA-256 of an entry's fields and its previous entry's hash.

    The fields are written as canonical JSON (sorted keys, Decimals as their
    two- or one-decimal text, times in UTC ISO 8601), so the digest is the
    same on SQLite and PostgreSQL and after a dump and reload.
    """
    fields = {
        "enrollment": entry.enrollment_id,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "amount": str(Decimal(entry.amount).quantize(CENT)),
        "hours": str(Decimal(entry.hours).quantize(TENTH)),
        "reason": entry.reason,
        "reverses": entry.reverses_id,
        "created_by": entry.created_by_id,
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "previous": entry.previous_hash,
    }
    if entry.source:  # entries written before sources existed hash without one
        fields["source"] = entry.source
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def entry_append(
    *,
    enrollment: Enrollment,
    kind: str,
    amount: Decimal = ZERO,
    hours: Decimal = HOURS_ZERO,
    reason: str = "",
    by: User | None,
    reverses: LedgerEntry | None = None,
    source: str = "",
) -> LedgerEntry:
    """Append one movement to ``enrollment``'s ledger and return it."""
    if kind not in LedgerEntry.Kind.values:
        raise ValidationError(_("Unknown kind of ledger entry."))
    amount, hours = Decimal(amount), Decimal(hours)
    if amount != amount.quantize(CENT) or hours != hours.quantize(TENTH):
        raise ValidationError(
            _("Amounts are in yuan with two decimals, hours with one.")
        )
    if not amount and not hours and kind != LedgerEntry.Kind.SUSPENSION:
        raise ValidationError(_("A ledger entry moves money or hours."))
    # One writer per enrollment at a time: the chain has no forks.
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
    last = (
        LedgerEntry.objects.filter(enrollment=enrollment)
        .order_by("-sequence")
        .only("sequence", "entry_hash")
        .first()
    )
    entry = LedgerEntry(
        enrollment=enrollment,
        sequence=last.sequence + 1 if last else 1,
        kind=kind,
        amount=amount,
        hours=hours,
        reason=reason.strip()[:255],
        reverses=reverses,
        source=source,
        created_by=by,
        created_at=timezone.now(),
        previous_hash=last.entry_hash if last else GENESIS,
    )
    entry.entry_hash = entry_digest(entry)
    entry.full_clean(exclude=["enrollment", "reverses", "created_by"])
    entry.save()
    return entry


@dataclass(frozen=True)
class Movement:
    """One entry to append with ``entries_append``."""

    enrollment_id: int
    kind: str
    hours: Decimal = HOURS_ZERO
    amount: Decimal = ZERO
    reason: str = ""
    source: str = ""
    reverses: LedgerEntry | None = None


@transaction.atomic
def entries_append(movements: list[Movement], *, by: User | None) -> list[LedgerEntry]:
    """Append many movements at once: the same entries ``entry_append`` writes.

    For a roll call of a whole class: the enrollments are locked in one
    query (in id order, as every writer locks), their last entries read in
    one, and the entries inserted in one, chained in the given order, so
    the cost does not grow with the class.
    """
    if not movements:
        return []
    for movement in movements:
        if movement.kind not in LedgerEntry.Kind.values:
            raise ValidationError(_("Unknown kind of ledger entry."))
        if not movement.amount and not movement.hours:
            raise ValidationError(_("A ledger entry moves money or hours."))
    ids = sorted({m.enrollment_id for m in movements})
    list(
        Enrollment.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last_sequence = (
        LedgerEntry.objects.filter(enrollment_id=OuterRef("enrollment_id"))
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    last = {
        row["enrollment_id"]: (row["sequence"], row["entry_hash"])
        for row in LedgerEntry.objects.filter(
            enrollment_id__in=ids, sequence=Subquery(last_sequence)
        ).values("enrollment_id", "sequence", "entry_hash")
    }
    now = timezone.now()
    entries = []
    for movement in movements:
        sequence, previous = last.get(movement.enrollment_id, (0, GENESIS))
        entry = LedgerEntry(
            enrollment_id=movement.enrollment_id,
            sequence=sequence + 1,
            kind=movement.kind,
            amount=Decimal(movement.amount).quantize(CENT),
            hours=Decimal(movement.hours).quantize(TENTH),
            reason=movement.reason.strip()[:255],
            reverses=movement.reverses,
            source=movement.source,
            created_by=by,
            created_at=now,
            previous_hash=previous,
        )
        entry.entry_hash = entry_digest(entry)
        last[movement.enrollment_id] = (entry.sequence, entry.entry_hash)
        entries.append(entry)
    return LedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def entry_reverse(*, entry: LedgerEntry, reason: str, by: User | None) -> LedgerEntry:
    """Cancel ``entry`` with an entry of the opposite amounts, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is reversed.")})
    if entry.kind == LedgerEntry.Kind.CORRECTION and entry.reverses_id:
        raise ValidationError(_("A correction is not reversed; record a new entry."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry was reversed already."))
    return entry_append(
        enrollment=entry.enrollment,
        kind=LedgerEntry.Kind.CORRECTION,
        amount=-entry.amount,
        hours=-entry.hours,
        reason=reason,
        by=by,
        reverses=entry,
        source=entry.source,
    )


@dataclass(frozen=True)
class Balance:
    """An enrollment's money and hours, as sums of its ledger entries."""

    received: Decimal  # payments, minus refunds
    paid: Decimal  # the money the enrollment holds: received, plus transfers
    hours_bought: Decimal
    hours_consumed: Decimal  # positive
    hours_remaining: Decimal


def balance_of(enrollment: Enrollment) -> Balance:
    """Return ``enrollment``'s balance: one query, sums by kind.

    A correction counts as the kind of the entry it reverses.
    """
    sums = {
        (row["kind"], row["reverses__kind"]): row
        for row in LedgerEntry.objects.filter(enrollment=enrollment)
        .values("kind", "reverses__kind")
        .annotate(amount=Sum("amount"), hours=Sum("hours"))
        .order_by()
    }

    def total(kinds: Iterable[str], field: str) -> Decimal:
        found = ZERO if field == "amount" else HOURS_ZERO
        for (kind, reversed_kind), row in sums.items():
            effective = reversed_kind if kind == LedgerEntry.Kind.CORRECTION else kind
            if effective in kinds:
                found += row[field] or 0
        return found

    kinds = LedgerEntry.Kind
    bought = total({kinds.HOURS_BOUGHT, kinds.TRANSFER_IN}, "hours")
    consumed = -total({kinds.CONSUMPTION}, "hours")
    return Balance(
        received=total({kinds.PAYMENT, kinds.REFUND}, "amount"),
        paid=total(kinds.values, "amount"),
        hours_bought=bought,
        hours_consumed=consumed,
        hours_remaining=total(kinds.values, "hours"),
    )


def verify(enrollments: Iterable[int] | None = None) -> list[str]:
    """Return a description of every break in the ledger's chains (none: [])."""
    entries = LedgerEntry.objects.order_by("enrollment_id", "sequence")
    if enrollments is not None:
        entries = entries.filter(enrollment_id__in=list(enrollments))
    problems = []
    current, expected_previous, expected_sequence = None, GENESIS, 1
    for entry in entries.iterator(chunk_size=2000):
        if entry.enrollment_id != current:
            current, expected_previous, expected_sequence = (
                entry.enrollment_id,
                GENESIS,
                1,
            )
        where = _("enrollment %(enrollment)s, entry %(sequence)s") % {
            "enrollment": entry.enrollment_id,
            "sequence": entry.sequence,
        }
        if entry.sequence != expected_sequence:
            problems.append(
                _("%(where)s: entry %(expected)s is missing.")
                % {"where": where, "expected": expected_sequence}
            )
        if entry.previous_hash != expected_previous:
            problems.append(
                _("%(where)s: does not follow the entry before it.") % {"where": where}
            )
        if entry_digest(entry) != entry.entry_hash:
            problems.append(
                _("%(where)s: changed after it was written.") % {"where": where}
            )
        expected_previous, expected_sequence = entry.entry_hash, entry.sequence + 1
    return problems

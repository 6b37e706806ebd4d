"""A default refund policy, and every payment recorded so far in the ledger.

Payments were rows of ``crm.Payment`` alone; from now on each has its
ledger entry (``finance.services.payment_record`` writes both). This
appends an entry for every payment without one, in the order they were
made, with the payment's time and consultant. The digest is computed as
``finance.ledger.entry_digest`` did when this migration was written (a
frozen copy: migrations do not import application code that changes).
"""

import hashlib
import json
from datetime import UTC
from decimal import Decimal

from django.conf import settings
from django.db import migrations
from django.utils import translation

GENESIS = "0" * 64


def _digest(entry) -> str:
    fields = {
        "enrollment": entry.enrollment_id,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "amount": str(Decimal(entry.amount).quantize(Decimal("0.01"))),
        "hours": str(Decimal(entry.hours).quantize(Decimal("0.1"))),
        "reason": entry.reason,
        "reverses": entry.reverses_id,
        "created_by": entry.created_by_id,
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "previous": entry.previous_hash,
    }
    if entry.source:
        fields["source"] = entry.source
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def forward(apps, schema_editor):
    RefundPolicy = apps.get_model("finance", "RefundPolicy")
    LedgerEntry = apps.get_model("finance", "LedgerEntry")
    Payment = apps.get_model("crm", "Payment")
    if not RefundPolicy.objects.filter(is_default=True).exists():
        first = RefundPolicy.objects.order_by("pk").first()
        if first is not None:
            RefundPolicy.objects.filter(pk=first.pk).update(is_default=True)
        else:
            with translation.override(settings.LANGUAGE_CODE):
                name = translation.gettext("Standard refund policy")
            RefundPolicy.objects.create(
                name=name,
                full_refund_before_start=True,
                fee=Decimal("200.00"),
                no_refund_after_percent=50,
                absence_consumes=True,
                is_default=True,
            )
    last = {}
    for row in LedgerEntry.objects.order_by("enrollment_id", "sequence").values(
        "enrollment_id", "sequence", "entry_hash"
    ):
        last[row["enrollment_id"]] = (row["sequence"], row["entry_hash"])
    payments = Payment.objects.filter(entry__isnull=True).order_by(
        "enrollment_id", "created_at", "pk"
    )
    for payment in payments.iterator(chunk_size=1000):
        sequence, previous = last.get(payment.enrollment_id, (0, GENESIS))
        refund = payment.kind == "refund"
        entry = LedgerEntry(
            enrollment_id=payment.enrollment_id,
            sequence=sequence + 1,
            kind="refund" if refund else "payment",
            amount=-payment.amount if refund else payment.amount,
            hours=Decimal("0.0"),
            reason=payment.note[:255],
            source=f"payment:{payment.pk}",
            created_by_id=payment.consultant_id,
            created_at=payment.created_at,
            previous_hash=previous,
        )
        entry.entry_hash = _digest(entry)
        entry.save()
        Payment.objects.filter(pk=payment.pk).update(entry=entry)
        last[payment.enrollment_id] = (entry.sequence, entry.entry_hash)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0005_plans_receipts_refunds"),
        ("crm", "0009_payment_entry"),
    ]

    # Irreversible in effect: ledger entries are never deleted.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

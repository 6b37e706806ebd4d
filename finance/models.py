"""The tuition ledger: every money and hour movement of an enrollment.

A ledger entry is never edited or deleted (the database refuses it: triggers
of migration 0002); a mistake is corrected by a reversing entry that names
the entry it reverses and why. Each entry carries the SHA-256 of the
previous entry of the same enrollment and its own, computed over its
fields: ``finance.ledger.verify`` (``manage.py ledger_check``) finds any row
changed or removed behind the application's back, and checks that the
balances are the sums of the entries.

Amounts are ``Decimal`` yuan with two decimals: ``amount`` is money the
school received (a payment, positive) or paid back (a refund, negative);
``hours`` are class hours the student has (bought, positive) or used
(consumption, negative).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")
GENESIS = "0" * 64  # the "previous hash" of an enrollment's first entry


class LedgerEntry(models.Model):
    """One movement of money or class hours of an enrollment; append-only."""

    class Kind(models.TextChoices):
        HOURS_BOUGHT = "hours_bought", _("Hours bought")
        PAYMENT = "payment", _("Payment")
        CONSUMPTION = "consumption", _("Hours consumed")
        REFUND = "refund", _("Refund")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        CORRECTION = "correction", _("Correction")

    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    sequence = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, default=ZERO
    )
    hours = models.DecimalField(
        _("class hours"), max_digits=7, decimal_places=1, default=Decimal("0.0")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["enrollment", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "sequence"], name="ledger_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1), name="ledger_sequence_positive"
            ),
            models.CheckConstraint(
                condition=~Q(amount=0) | ~Q(hours=0), name="ledger_moves_something"
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="correction"),
                name="ledger_only_corrections_reverse",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="ledger_created_idx"),
            models.Index(fields=["kind", "created_at"], name="ledger_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} #{self.sequence} {self.get_kind_display()}"


class RefundPolicy(models.Model):
    """How much of the tuition a leaving student gets back, as an admin defines it."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    full_refund_before_start = models.BooleanField(
        _("full refund before the first session"), default=True
    )
    fee = models.DecimalField(
        _("fee (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        help_text=_("Kept from a refund once the first session was held."),
    )
    no_refund_after_percent = models.PositiveSmallIntegerField(
        _("no refund past this percentage of hours consumed"),
        default=50,
        help_text=_("Past this share of the hours used, nothing is refunded."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("refund policy")
        verbose_name_plural = _("refund policies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee__gte=0), name="refund_policy_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(no_refund_after_percent__gte=1)
                & Q(no_refund_after_percent__lte=100),
                name="refund_policy_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractTerms(models.Model):
    """The terms an enrollment was approved on: fixed, with the hash of their text.

    A copy, not a reference: a later edit of the course, the contract
    template or the refund policy never changes a signed contract (the
    database refuses changes to this table, migration 0004).
    """

    enrollment = models.OneToOneField(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="contract_terms",
    )
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2)
    hours = models.DecimalField(_("class hours"), max_digits=6, decimal_places=1)
    valid_until = models.DateField(_("valid until"))
    policy = models.ForeignKey(
        RefundPolicy,
        verbose_name=_("refund policy"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The policy as it was when the contract was signed.
    policy_terms = models.JSONField(_("refund terms"))
    contract_text = models.TextField(_("contract text"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("fixed at"))

    class Meta:
        verbose_name = _("contract terms")
        verbose_name_plural = _("contract terms")
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="terms_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0), name="terms_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.enrollment)

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
from django.db.models import F, Q
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
        # Moves nothing: a record of the enrollment frozen (休学) for a period.
        SUSPENSION = "suspension", _("Suspension")

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
    # What caused the entry, e.g. "study_record:42" (a roll call's consumption):
    # a plain reference, so that the entry outlives what it points to.
    source = models.CharField(_("source"), max_length=40, blank=True)
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
                condition=~Q(amount=0) | ~Q(hours=0) | Q(kind="suspension"),
                name="ledger_moves_something",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="correction"),
                name="ledger_only_corrections_reverse",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="ledger_created_idx"),
            models.Index(fields=["kind", "created_at"], name="ledger_kind_time_idx"),
            models.Index(fields=["source"], name="ledger_source_idx"),
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
    absence_consumes = models.BooleanField(
        _("absence without leave consumes hours"),
        default=True,
        help_text=_("A lesson missed without approved leave counts as consumed."),
    )
    is_default = models.BooleanField(
        _("default policy"),
        default=False,
        help_text=_("Used for the courses that name no policy."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("refund policy")
        verbose_name_plural = _("refund policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="refund_policy_one_default",
                violation_error_message=_("Another policy is the default already."),
            ),
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
    hours_per_lesson = models.DecimalField(
        _("class hours per lesson"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
    )
    valid_until = models.DateField(_("valid until"))
    policy = models.ForeignKey(
        RefundPolicy,
        verbose_name=_("refund policy"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The policy as it was when the contract was signed.
    policy_terms = models.JSONField(_("refund terms"))
    # Empty for a class without a contract template.
    contract_text = models.TextField(_("contract text"), blank=True)
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


class Instalment(models.Model):
    """One due date of an enrollment's payment plan (full payment: one).

    Whether it is paid is not stored: the money received (the ledger) is
    allotted to the instalments in due-date order, so a partial payment
    leaves the earliest unpaid instalment partly paid.
    """

    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="instalments",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["enrollment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "number"], name="instalment_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="instalment_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["due_date"], name="instalment_due_idx")]

    def __str__(self) -> str:
        return f"{self.enrollment} #{self.number} {self.due_date}"


class Receipt(models.Model):
    """The receipt of a payment: numbered without gaps per campus and year."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CARD = "card", _("Bank card")
        TRANSFER = "transfer", _("Bank transfer")

    entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    branch = models.ForeignKey(
        "crm.Branch",
        verbose_name=_("campus"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    method = models.CharField(_("paid by"), max_length=16, choices=Method)
    payer = models.CharField(_("received from"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "year", "number"], name="receipt_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["issued_at"], name="receipt_issued_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The printed number, e.g. "B2-2026-000042" (campus id, year, number)."""
        return f"B{self.branch_id}-{self.year}-{self.number:06d}"


class RefundRequest(models.Model):
    """A request to refund an enrollment and close it, decided by finance."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="refund_requests",
    )
    reason = models.TextField(_("reason"))
    amount = models.DecimalField(
        _("refundable (yuan)"), max_digits=12, decimal_places=2, default=ZERO
    )
    steps = models.JSONField(_("computation"), default=list)
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(state="pending"),
                name="refund_request_one_pending",
                violation_error_message=_(
                    "This enrollment has a refund request waiting already."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False),
                name="refund_request_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "requested_at"], name="refund_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.get_state_display()}"


class Transfer(models.Model):
    """An enrollment's remaining value moved to a new one in another class (转班)."""

    source = models.OneToOneField(
        "crm.Enrollment",
        verbose_name=_("transferred from"),
        on_delete=models.PROTECT,
        related_name="transfer_out",
    )
    target = models.OneToOneField(
        "crm.Enrollment",
        verbose_name=_("transferred to"),
        on_delete=models.PROTECT,
        related_name="transfer_in",
    )
    value = models.DecimalField(
        _("value moved (yuan)"), max_digits=12, decimal_places=2
    )
    difference = models.DecimalField(
        _("difference (yuan)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive: to pay for the new class; negative: refunded."),
    )
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source} → {self.target.class_list}"


class Suspension(models.Model):
    """An enrollment frozen (休学) for a period: no consumption, validity extended."""

    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="suspensions",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["enrollment", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="suspension_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} {self.starts_on} – {self.ends_on}"

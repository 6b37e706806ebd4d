"""The school and its customers: campuses, courses, classes, leads, enrollments."""

import functools
import secrets
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.contracts import validate_contract_template
from crm.fields import IDNumberField, PhoneNumberField, QQNumberField


class Branch(models.Model):
    """A campus of the school."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    price = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    period_months = models.PositiveSmallIntegerField(
        _("period (months)"), validators=[MinValueValidator(1)]
    )
    outline = models.TextField(_("syllabus"), blank=True)
    class_hours = models.DecimalField(
        _("class hours"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("60.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("Class hours an enrollment buys (课时)."),
    )
    hours_per_lesson = models.DecimalField(
        _("class hours per lesson"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("Hours a lesson consumes for each student who attends it."),
    )
    refund_policy = models.ForeignKey(
        "finance.RefundPolicy",
        verbose_name=_("refund policy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the school's default policy."),
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="course_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(period_months__gte=1), name="course_period_positive"
            ),
            models.CheckConstraint(
                condition=Q(class_hours__gt=0) & Q(hours_per_lesson__gt=0),
                name="course_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractTemplate(models.Model):
    """Contract text with placeholders filled in for each enrollment."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    content = models.TextField(
        _("content"),
        validators=[validate_contract_template],
        help_text=_(
            "Placeholders: {{ customer }}, {{ id_number }}, {{ course }}, "
            "{{ class }}, {{ campus }}, {{ price }}, {{ start_date }}, {{ date }}."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClassList(models.Model):
    """One class (cohort) of a course at a campus, e.g. "Python full-stack S9"."""

    class ClassType(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time")
        WEEKEND = "weekend", _("Weekend")
        ONLINE = "online", _("Online")

    name = models.CharField(
        _("name"),
        max_length=64,
        blank=True,
        help_text=_("Shown everywhere; defaults to course and semester."),
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("campus"), on_delete=models.PROTECT
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT
    )
    class_type = models.CharField(
        _("class type"), max_length=16, choices=ClassType, db_index=True
    )
    semester = models.PositiveSmallIntegerField(
        _("semester"), validators=[MinValueValidator(1)]
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teachers"),
        blank=True,
        related_name="teaching_classes",
    )
    start_date = models.DateField(_("start date"), db_index=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    contract_template = models.ForeignKey(
        ContractTemplate,
        verbose_name=_("contract template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "course", "class_type", "semester"],
                name="class_unique_per_branch_course_type_semester",
                violation_error_message=_(
                    "This campus already has a class of this course, type and semester."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="class_end_after_start",
                violation_error_message=_("The end date must be after the start date."),
            ),
            models.CheckConstraint(
                condition=Q(semester__gte=1), name="class_semester_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.course.name} {self.semester}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _plain_loading(model: type[models.Model]) -> bool:
    """Return True if ``model``'s rows may be loaded without ``__init__``.

    True when ``__init__`` would only set each loaded field's attribute: it
    is Django's, no ``pre_init``/``post_init`` receiver listens to the model
    (an ImageField's dimensions, say), and every field's attribute is
    Django's plain one (no descriptor of its own that converts on setting).
    """
    return (
        _plain_attributes(model)
        and not models.signals.pre_init.has_listeners(model)
        and not models.signals.post_init.has_listeners(model)
    )


@functools.cache
def _plain_attributes(model: type[models.Model]) -> bool:
    plain = (
        models.query_utils.DeferredAttribute,
        models.fields.related_descriptors.ForeignKeyDeferredAttribute,
    )
    return model.__init__ is models.Model.__init__ and all(
        type(model.__dict__.get(field.attname)) in plain
        for field in model._meta.concrete_fields
    )


class Customer(models.Model):
    """A lead and, once enrolled, a student's personal record."""

    class Source(models.TextChoices):
        QQ_GROUP = "qq_group", _("QQ group")
        REFERRAL = "referral", _("Referral")
        WEBSITE = "website", _("Official website")
        BAIDU_ADS = "baidu_ads", _("Baidu ads")
        CTO51 = "51cto", _("51CTO")
        ZHIHU = "zhihu", _("Zhihu")
        TENCENT_CLASS = "tencent_class", _("Tencent classroom")
        MARKETING = "marketing", _("Marketing")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NOT_ENROLLED = "not_enrolled", _("Not enrolled")
        ENROLLED = "enrolled", _("Enrolled")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Pool(models.TextChoices):
        PRIVATE = "private", _("Private pool")
        PUBLIC = "public", _("Public pool")

    name = models.CharField(_("name"), max_length=64, blank=True)
    qq = QQNumberField(_("QQ"), max_length=12, null=True, blank=True)
    qq_name = models.CharField(_("QQ nickname"), max_length=64, blank=True)
    phone = PhoneNumberField(_("phone"), max_length=12, null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source, default=Source.QQ_GROUP
    )
    referral_from = models.CharField(
        _("referred by"),
        max_length=64,
        blank=True,
        help_text=_("Name or QQ of whoever referred this lead."),
    )
    consult_course = models.ForeignKey(
        Course,
        verbose_name=_("course asked about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="customers"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.NOT_ENROLLED
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The spreadsheet this lead came in with (crm.lead_imports), if any.
    lead_import = models.ForeignKey(
        "crm.LeadImport",
        verbose_name=_("imported with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="customers",
    )
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    # Set when no assignment rule found a sales to take the lead
    # (crm.assignment): its consultant is a stand-in until a manager
    # reassigns it.
    unassigned = models.BooleanField(
        _("unassigned"),
        default=False,
        help_text=_("No sales could take this lead; a manager should assign it."),
    )
    # Ownership (crm.pool): a lead is in its consultant's private pool until
    # nobody followed it up for CRM_STALE_LEAD_DAYS; then it is in the public
    # pool (the consultant is its last owner) until a sales claims it.
    pool = models.CharField(_("pool"), max_length=8, choices=Pool, default=Pool.PRIVATE)
    pooled_at = models.DateTimeField(
        _("in the public pool since"), null=True, blank=True
    )
    last_activity_at = models.DateTimeField(
        _("last activity"),
        default=timezone.now,
        help_text=_(
            "Entry, the last follow-up or the last change of owner: the private "
            "pool's protection counts from here."
        ),
    )
    # Personal data, filled in by the customer on the enrollment form.
    id_number = IDNumberField(_("ID number"), max_length=18, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    emergency_contact = models.CharField(
        _("emergency contact"), max_length=64, blank=True
    )
    emergency_phone = PhoneNumberField(
        _("emergency contact phone"), max_length=12, null=True, blank=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["qq"],
                name="customer_qq_unique",
                violation_error_message=_("A customer with this QQ already exists."),
            ),
            models.UniqueConstraint(
                fields=["phone"],
                name="customer_phone_unique",
                violation_error_message=_(
                    "A customer with this phone number already exists."
                ),
            ),
            models.CheckConstraint(
                condition=Q(qq__isnull=False) | Q(phone__isnull=False),
                name="customer_has_qq_or_phone",
                violation_error_message=_("Enter a QQ number or a phone number."),
            ),
            # Empty identifiers are NULL, so that uniqueness ignores them.
            models.CheckConstraint(
                condition=~Q(qq="") & ~Q(phone="") & ~Q(emergency_phone=""),
                name="customer_identifiers_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(pool="private", pooled_at__isnull=True)
                | Q(pool="public", pooled_at__isnull=False),
                name="customer_pooled_at_iff_public",
            ),
        ]
        indexes = [
            # Filter by source/status, then the lists' default sort, newest
            # first and the id breaking ties: a deep page's ids are read from
            # the index alone on PostgreSQL too (SQLite's indexes hold the id
            # anyway), instead of 10,000 rows fetched and sorted by id.
            models.Index(
                fields=["source", "-created_at", "-id"],
                name="customer_source_created_idx",
            ),
            models.Index(
                fields=["status", "-created_at", "-id"],
                name="customer_status_created_idx",
            ),
            models.Index(fields=["created_at", "id"], name="customer_created_idx"),
            models.Index(fields=["last_followup_at"], name="customer_last_fu_idx"),
            models.Index(
                fields=["consultant", "-created_at", "-id"],
                name="customer_owner_created_idx",
            ),
            models.Index(
                fields=["consultant", "last_followup_at"],
                name="customer_owner_fu_idx",
            ),
            models.Index(fields=["name"], name="customer_name_idx"),
            # The public pool sorted by idle time; the fall-back job's scan.
            models.Index(
                fields=["pool", "status", "last_activity_at"],
                name="customer_pool_idle_idx",
            ),
            # A sales' private pool (and its cap).
            models.Index(
                fields=["consultant", "pool", "status"], name="customer_owner_pool_idx"
            ),
            # The leads waiting for a manager to assign them.
            models.Index(
                fields=["unassigned", "-created_at"], name="customer_unassigned_idx"
            ),
            # Duplicates (crm.merge): the same ID number or e-mail.
            models.Index(
                fields=["id_number"],
                name="customer_id_number_idx",
                condition=~Q(id_number=""),
            ),
            models.Index(
                Lower("email"),
                name="customer_email_idx",
                condition=~Q(email=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.qq_name or self.qq or self.phone or f"#{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        if _plain_loading(cls):
            # What Django's from_db makes, without going through __init__:
            # that walks all 46 fields, a list loading 14 of them marks the
            # other 32 deferred one by one, and sends two signals nobody
            # listens to (a tenth of the customer list's rows).
            customer = cls.__new__(cls)
            customer._state = models.base.ModelState()
            customer._state.adding = False
            customer._state.db = db
            customer.__dict__.update(zip(field_names, values, strict=True))
        else:
            customer = super().from_db(db, field_names, values)
        # What its search grams were made of (crm.search): a save that keeps
        # the name and the nickname leaves them alone.
        loaded = customer.__dict__
        if "name" in loaded and "qq_name" in loaded:
            customer._search_indexed = (loaded["name"] or "", loaded["qq_name"] or "")
        return customer

    def clean(self) -> None:
        # Blank identifiers are skipped by clean_fields(); store them as NULL so
        # that the unique constraints ignore them.
        self.qq = self.qq or None
        self.phone = self.phone or None
        self.emergency_phone = self.emergency_phone or None
        if not self.qq and not self.phone:
            raise ValidationError(_("Enter a QQ number or a phone number."))


class CustomerFollowUp(models.Model):
    """One contact with a lead and what the consultant made of it."""

    class Intention(models.TextChoices):
        WITHIN_2_WEEKS = "2_weeks", _("Will enrol within 2 weeks")
        WITHIN_MONTH = "1_month", _("Will enrol within a month")
        NO_PLAN = "no_plan", _("No plan to enrol yet")
        ENROLLED_ELSEWHERE = "elsewhere", _("Enrolled elsewhere")
        ENROLLED = "enrolled", _("Enrolled")
        BLACKLISTED = "blacklisted", _("Blacklisted")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="followups",
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    content = models.TextField(_("content"))
    intention = models.CharField(_("intention"), max_length=16, choices=Intention)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["customer", "-created_at"], name="followup_timeline_idx"
            ),
            models.Index(
                fields=["consultant", "created_at"], name="followup_owner_time_idx"
            ),
            models.Index(fields=["created_at"], name="followup_created_idx"),
            models.Index(fields=["intention"], name="followup_intention_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_intention_display()}"


class Enrollment(models.Model):
    """A customer's enrollment in a class, from the link to the approved contract."""

    class State(models.TextChoices):
        LINK_SENT = "link_sent", _("Link sent")
        SUBMITTED = "submitted", _("Submitted, waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # Left the class: refunded or transferred to another one (finance).
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    class_list = models.ForeignKey(
        ClassList,
        verbose_name=_("class"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.LINK_SENT
    )
    contract_agreed = models.BooleanField(_("contract agreed"), default=False)
    contract_agreed_at = models.DateTimeField(
        _("contract agreed at"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "class_list"],
                name="enrollment_unique_customer_class",
                violation_error_message=_(
                    "This customer already has an enrollment in this class."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="enrollment_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(reject_reason=""),
                name="enrollment_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(contract_agreed=False)
                | Q(contract_agreed_at__isnull=False),
                name="enrollment_agreement_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "-submitted_at"], name="enrollment_state_idx"
            ),
            models.Index(fields=["approved_at"], name="enrollment_approved_idx"),
            models.Index(fields=["created_at"], name="enrollment_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.class_list}"


class EnrollmentLink(models.Model):
    """A one-time link a customer uses to fill in their enrollment form.

    Only a SHA-256 hash of the random token is stored: a database leak does
    not leak working links.
    """

    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        related_name="links",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment link")
        verbose_name_plural = _("enrollment links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="enrollment_link_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.created_at:%Y-%m-%d}"


def enrollment_document_path(instance: "EnrollmentDocument", filename: str) -> str:
    """Return a generated storage path; the client's file name is never used.

    The suffix is kept only when the ID document policy stores it (.jpg,
    .png, .pdf), else there is none.
    """
    from crm.uploads import ID_DOCUMENT

    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in ID_DOCUMENT.stored_extensions:
        suffix = ""
    return f"private/enrollment/{instance.enrollment_id}/{uuid.uuid4().hex}{suffix}"


class EnrollmentDocument(models.Model):
    """An ID document uploaded with the enrollment form."""

    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    file = models.FileField(
        _("file"), upload_to=enrollment_document_path, max_length=255
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment document")
        verbose_name_plural = _("enrollment documents")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Payment(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        TUITION = "tuition", _("Tuition")
        REFUND = "refund", _("Refund")

    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    amount = models.DecimalField(
        _("amount"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Always positive; a refund is subtracted by its kind."),
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    # Its movement in the tuition ledger (finance.services.payment_record
    # writes both); a reversed entry takes the payment out of the reports.
    entry = models.OneToOneField(
        "finance.LedgerEntry",
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="payment_created_idx"),
            models.Index(fields=["kind", "created_at"], name="payment_kind_time_idx"),
            models.Index(
                fields=["consultant", "created_at"], name="payment_owner_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class PersonalDataAccess(models.Model):
    """Who saw a customer's full ID number or an ID document, and when (PIPL)."""

    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", _("Full ID number")
        ID_DOCUMENT = "id_document", _("ID document")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="personal_data_accesses",
    )
    kind = models.CharField(_("what"), max_length=16, choices=Kind)
    document = models.ForeignKey(
        EnrollmentDocument,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    path = models.CharField(_("page"), max_length=255, blank=True)
    accessed_at = models.DateTimeField(_("viewed at"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at", "-pk"]
        indexes = [
            models.Index(
                fields=["customer", "-accessed_at"], name="pda_customer_time_idx"
            ),
            models.Index(fields=["user", "accessed_at"], name="pda_user_time_idx"),
            models.Index(fields=["accessed_at"], name="pda_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.customer}"


class CustomerSearchGram(models.Model):
    """One letter or pair of letters of a customer's name or QQ nickname.

    The index that makes "part of a name" searches fast (see crm.search):
    kept by crm.search, never edited by hand, not on any admin.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    gram = models.CharField(max_length=2)

    class Meta:
        verbose_name = _("customer search entry")
        verbose_name_plural = _("customer search entries")
        indexes = [
            models.Index(fields=["gram", "customer"], name="search_gram_idx"),
            models.Index(fields=["customer"], name="search_gram_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.gram


class RateCounter(models.Model):
    """How many requests one key made in one window of crm.ratelimit.

    The database's own counter when the shared cache is the database: one
    atomic upsert per request instead of the cache's read-then-write. Rows
    outlive their window by a second and are deleted by the nightly cleanup.
    """

    name = models.CharField(max_length=128, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.hits}"


def lead_import_path(instance: "LeadImport", filename: str) -> str:
    """Return a generated storage path: .xlsx or .csv, as the checker stored it."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        suffix = ""
    return f"private/imports/{instance.created_by_id}/{uuid.uuid4().hex}{suffix}"


class LeadImport(models.Model):
    """A spreadsheet of leads imported at once: its file, mapping, outcome and log.

    ``crm.lead_imports`` previews it, commits its new rows (a job) and
    reverts it while its leads are untouched.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        REVERTED = "reverted", _("Reverted")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    file = models.FileField(_("file"), upload_to=lead_import_path, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    kind = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    mapping = models.JSONField(_("columns"), default=dict)
    default_source = models.CharField(
        _("source"), max_length=32, choices=Customer.Source
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of the new leads"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    use_rules = models.BooleanField(
        _("apply the assignment rules"),
        default=False,
        help_text=_(
            "Give each new lead to a sales by the assignment rules; the owner "
            "above takes those no rule could place."
        ),
    )
    skipped = models.JSONField(
        _("rows left out"),
        default=list,
        blank=True,
        help_text=_("Row numbers of new rows the importer chose not to import."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.PREVIEWED
    )
    checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("leads created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    unassigned = models.PositiveIntegerField(_("leads nobody could take"), default=0)
    kept = models.PositiveIntegerField(_("leads kept at the revert"), default=0)
    failure = models.TextField(_("why it failed"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reverted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_at"], name="lead_import_created_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} · {self.created_at:%Y-%m-%d %H:%M}"


def lead_form_token() -> str:
    return secrets.token_urlsafe(12)


class LeadForm(models.Model):
    """A campaign's public lead form (e.g. a Baidu landing page), embeddable.

    ``crm.capture`` serves it at ``/f/<token>/``; each submission is a
    ``LeadSubmission``: a new lead, or a follow-up on the lead it already is.
    """

    class Field(models.TextChoices):
        NAME = "name", _("Name")
        PHONE = "phone", _("Phone")
        QQ = "qq", _("QQ")
        EMAIL = "email", _("E-mail")
        NOTES = "notes", _("Message")

    name = models.CharField(_("campaign"), max_length=64)
    token = models.CharField(
        _("public key"),
        max_length=32,
        unique=True,
        default=lead_form_token,
        editable=False,
    )
    title = models.CharField(_("title shown"), max_length=128, blank=True)
    intro = models.TextField(_("introduction"), blank=True)
    fields = models.JSONField(
        _("fields asked"),
        default=list,
        help_text=_("Phone or QQ is always asked; pick the others."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Customer.Source)
    campus = models.ForeignKey(
        Branch, verbose_name=_("campus"), on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner when no rule applies"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "New leads go to a sales by the assignment rules; this user holds "
            "those no rule could place (they are flagged unassigned)."
        ),
    )
    thank_you = models.TextField(_("thank-you text"))
    is_active = models.BooleanField(_("accepting submissions"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class LeadSubmission(models.Model):
    """One submission of a lead form: whom it made or found, and the ad's UTM tags."""

    class Outcome(models.TextChoices):
        NEW = "new", _("New lead")
        AGAIN = "again", _("Came again")

    form = models.ForeignKey(
        LeadForm,
        verbose_name=_("lead form"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome)
    utm_source = models.CharField("utm_source", max_length=128, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=128, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=128, blank=True)
    utm_term = models.CharField("utm_term", max_length=128, blank=True)
    utm_content = models.CharField("utm_content", max_length=128, blank=True)
    referrer = models.CharField(_("referring page"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead form submission")
        verbose_name_plural = _("lead form submissions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["form", "-created_at"], name="submission_form_idx"),
            models.Index(fields=["created_at"], name="submission_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form} · {self.customer}"


class AssignmentRule(models.Model):
    """Who gets a new lead: a sales group, taken in turn or the least loaded first.

    A rule applies to leads of its campus, course and source (empty: any);
    the most specific active rule first, then by ``priority``
    (``crm.assignment``).
    """

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("In turn (round-robin)")
        LEAST_LOADED = "least_loaded", _("Fewest private leads first")

    name = models.CharField(_("name"), max_length=64)
    campus = models.ForeignKey(
        Branch,
        verbose_name=_("campus"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: leads of any campus."),
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: leads about any course."),
    )
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=Customer.Source,
        blank=True,
        help_text=_("Empty: leads from any source."),
    )
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=Strategy, default=Strategy.ROUND_ROBIN
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales group"),
        related_name="assignment_rules",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager to tell"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Told when no member can take a lead (all at the cap)."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_("Among equally specific rules, the lower number applies first."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Round-robin: who got the last lead.
    last_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last given to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name


class CustomerMerge(models.Model):
    """Two customers found to be one person, merged into the survivor; undoable.

    ``crm.merge`` keeps what is needed to undo: the merged customer's row,
    the survivor's fields before, and which rows moved.
    """

    survivor = models.ForeignKey(
        Customer,
        verbose_name=_("kept customer"),
        on_delete=models.CASCADE,
        related_name="merges",
    )
    merged_pk = models.PositiveIntegerField(_("merged customer's number"))
    merged_name = models.CharField(_("merged customer"), max_length=128)
    merged_data = models.JSONField(_("merged customer's record"))
    survivor_before = models.JSONField(_("kept customer before the merge"))
    fields_taken = models.JSONField(
        _("fields taken from the merged customer"), default=list, blank=True
    )
    moved = models.JSONField(_("rows moved"), default=dict, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor}"

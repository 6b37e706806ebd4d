"""Writes of the CRM: leads, duplicates, follow-ups, enrollments (pools: crm.pool)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notification_send, notifications_send
from crm.models import (
    ClassList,
    Customer,
    CustomerFollowUp,
    Enrollment,
    EnrollmentDocument,
    EnrollmentLink,
)
from crm.selectors import customer_find_duplicate
from crm.tasks import reviewers_notify
from jobs.queue import enqueue_on_commit
from jobs.tasks import send_email
from kingadmin.fields import parse_pk
from webhooks.models import Event
from webhooks.payloads import enrollment_payload, lead_payload
from webhooks.services import event_emit, event_wanted


class DuplicateCustomer(ValidationError):
    """The QQ or phone number belongs to an existing customer."""

    def __init__(self, existing: Customer):
        self.existing = existing
        super().__init__(duplicate_message(existing), code="duplicate")


def duplicate_message(existing: Customer) -> str:
    return _(
        "This lead already exists: customer “%(customer)s”, owned by %(owner)s. "
        "%(owner)s has been told that you tried to enter it."
    ) % {"customer": existing, "owner": existing.consultant}


def customer_save(*, customer: Customer, by: User) -> Customer:
    """Save a new or changed customer; the database has the last word on duplicates.

    Two sales entering the same lead at once both pass the form's check; the
    unique constraints let one insert through and this raises
    DuplicateCustomer for the other.
    """
    adding = customer._state.adding
    customer.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            customer.save()
            if adding and event_wanted(Event.LEAD_CREATED):
                event_emit(Event.LEAD_CREATED, lead_payload(customer))
    except IntegrityError:
        existing = customer_find_duplicate(
            qq=customer.qq, phone=customer.phone, exclude_pk=customer.pk
        )
        if existing is None:
            raise
        raise DuplicateCustomer(existing) from None
    return customer


def customer_create(*, consultant: User, by: User | None = None, **fields) -> Customer:
    """Create a lead owned by ``consultant``; refuse a duplicate QQ or phone."""
    by = by or consultant
    customer = Customer(consultant=consultant, **fields)
    customer.full_clean(validate_constraints=False)
    existing = customer_find_duplicate(qq=customer.qq, phone=customer.phone)
    if existing is not None:
        customer_duplicate_report(existing=existing, by=by)
        raise DuplicateCustomer(existing)
    try:
        return customer_save(customer=customer, by=by)
    except DuplicateCustomer as error:
        customer_duplicate_report(existing=error.existing, by=by)
        raise


def customer_duplicate_report(*, existing: Customer, by: User) -> None:
    """Tell the owner of ``existing`` that ``by`` tried to enter it again."""
    if existing.consultant_id == by.pk:
        return
    text = _(
        "%(user)s tried to enter your customer “%(customer)s” (QQ %(qq)s, phone "
        "%(phone)s) as a new lead."
    ) % {
        "user": by,
        "customer": existing,
        "qq": existing.qq or "—",
        "phone": existing.phone or "—",
    }
    notification_send(
        recipient=existing.consultant,
        text=text,
        link=reverse("crm:customer_detail", args=[existing.pk]),
        email_subject=_("Duplicate lead: %(customer)s") % {"customer": existing},
    )


def _check_owner(customer: Customer, by: User) -> None:
    """Refuse to work a lead that is not in ``by``'s private pool."""
    if customer.pool == Customer.Pool.PUBLIC:
        raise ValidationError(
            _("This lead is in the public pool: claim it first."), code="in_pool"
        )
    if customer.consultant_id != by.pk:
        raise ValidationError(
            _("This lead is in the private pool of %(owner)s.")
            % {"owner": customer.consultant},
            code="not_owner",
        )


@transaction.atomic
def followup_add(
    *, customer: Customer, by: User, content: str, intention: str
) -> CustomerFollowUp:
    """Record a follow-up; it restarts the lead's protection in the private pool.

    Only the owner follows a lead up; one in the public pool is claimed first
    (crm.pool.customer_claim).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_owner(customer, by)
    followup = CustomerFollowUp(
        customer=customer, consultant=by, content=content, intention=intention
    )
    followup.full_clean()
    followup.save()
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=followup.created_at)
    ).update(last_followup_at=followup.created_at)
    Customer.objects.filter(
        pk=customer.pk, last_activity_at__lt=followup.created_at
    ).update(last_activity_at=followup.created_at)
    return followup


# --------------------------------------------------------------- enrollment


class LinkUnusable(Exception):
    """An enrollment link that cannot be used; ``reason`` says why."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def enrollment_link_create(
    *, customer: Customer, class_list: ClassList, by: User
) -> tuple[EnrollmentLink, str]:
    """Create the enrollment (if needed) and a fresh link; return it and its token.

    The token has 256 random bits and is returned once; only its hash is
    stored. Earlier unused links of the enrollment are revoked. Only the
    lead's owner sends links (a lead in the public pool is claimed first).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_owner(customer, by)
    enrollment, _created = Enrollment.objects.get_or_create(
        customer=customer,
        class_list=class_list,
        defaults={"consultant": by, "state": Enrollment.State.LINK_SENT},
    )
    if enrollment.state == Enrollment.State.APPROVED:
        raise ValidationError(
            _("%(customer)s is already enrolled in %(class)s.")
            % {"customer": customer, "class": class_list}
        )
    if enrollment.state == Enrollment.State.SUBMITTED:
        raise ValidationError(
            _(
                "%(customer)s has submitted the form; review it before sending "
                "a new link."
            )
            % {"customer": customer}
        )
    if enrollment.state == Enrollment.State.REJECTED:
        enrollment.state = Enrollment.State.LINK_SENT
        enrollment.reject_reason = ""
        enrollment.contract_agreed = False
        enrollment.contract_agreed_at = None
        enrollment.save(
            update_fields=[
                "state",
                "reject_reason",
                "contract_agreed",
                "contract_agreed_at",
            ]
        )
    now = timezone.now()
    enrollment.links.filter(revoked_at__isnull=True, used_at__isnull=True).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    link = EnrollmentLink.objects.create(
        enrollment=enrollment,
        token_hash=_token_hash(token),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=settings.CRM_ENROLLMENT_LINK_DAYS),
    )
    return link, token


def enrollment_link_revoke(*, link: EnrollmentLink) -> None:
    """Make ``link`` unusable from now on."""
    EnrollmentLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def enrollment_link_resolve(token: str) -> EnrollmentLink:
    """Return the usable link for ``token`` or raise LinkUnusable with the reason."""
    if not token or len(token) > 100:
        raise LinkUnusable("unknown")
    link = (
        EnrollmentLink.objects.select_related(
            "enrollment__customer__consultant",
            "enrollment__class_list__course",
            "enrollment__class_list__branch",
            "enrollment__class_list__contract_template",
        )
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if link is None:
        raise LinkUnusable("unknown")
    if link.revoked_at is not None:
        raise LinkUnusable("revoked")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if link.expires_at <= timezone.now():
        raise LinkUnusable("expired")
    return link


def enrollment_document_add(*, enrollment: Enrollment, uploads) -> list:
    """Check and store the uploaded ID documents under generated names."""
    from crm.uploads import check_document, check_document_count

    check_document_count(enrollment.documents.count(), len(uploads))
    checked = [(upload, check_document(upload)) for upload in uploads]
    saved = []
    with transaction.atomic():
        for upload, info in checked:
            document = EnrollmentDocument(
                enrollment=enrollment,
                original_name=info.original_name,
                size=info.size,
                content_type=info.content_type,
            )
            # The stored name comes from the content type, never the client.
            document.file.save(f"document{info.extension}", upload, save=False)
            document.save()
            saved.append(document)
    return saved


def enrollment_document_delete(*, enrollment: Enrollment, document_id) -> None:
    """Delete one of the enrollment's documents (and its file); ignore bad ids."""
    pk = parse_pk(EnrollmentDocument, document_id)
    if pk is None:
        return
    document = enrollment.documents.filter(pk=pk).first()
    if document is None:
        return
    document.file.delete(save=False)
    document.delete()


@transaction.atomic
def enrollment_submit(*, link: EnrollmentLink, customer: Customer) -> Enrollment:
    """Submit the filled-in form: the link dies and reviewers are notified.

    ``customer`` carries the personal data the form validated.
    """
    link = EnrollmentLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        raise LinkUnusable("used")
    enrollment = link.enrollment
    if not enrollment.documents.exists():
        raise ValidationError(_("Upload at least one ID document."))
    customer.full_clean(validate_constraints=False)
    customer.save(
        update_fields=[
            "id_number",
            "gender",
            "birthday",
            "emergency_contact",
            "emergency_phone",
            "email",
        ]
    )
    now = timezone.now()
    enrollment.state = Enrollment.State.SUBMITTED
    enrollment.contract_agreed = True
    enrollment.contract_agreed_at = now
    enrollment.submitted_at = now
    enrollment.save(
        update_fields=["state", "contract_agreed", "contract_agreed_at", "submitted_at"]
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    # The reviewers are told by a job (jobs.queue), the customer's request
    # does not wait for it.
    enqueue_on_commit(
        reviewers_notify,
        enrollment_id=enrollment.pk,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return enrollment


def enrollment_reviewers_notify(*, enrollment: Enrollment) -> int:
    """Tell the consultant and every reviewer of ``enrollment`` it was submitted."""
    return notifications_send(
        recipients=_reviewers(enrollment),
        text=_("%(customer)s submitted the enrollment form for %(class)s.")
        % {"customer": enrollment.customer, "class": enrollment.class_list},
        link=reverse("crm:enrollment_review", args=[enrollment.pk]),
    )


def _reviewers(enrollment: Enrollment) -> list[User]:
    """Return the consultant and everyone who may review this enrollment.

    Reviewers of the class's campus, school-wide reviewers and superusers;
    the same rules that scope the review pages (crm.permissions).
    """
    reviews = Q(
        roles__permissions__content_type__app_label="crm",
        roles__permissions__codename="review_enrollments",
        campus_id=enrollment.class_list.branch_id,
    ) | Q(
        roles__permissions__content_type__app_label="crm",
        roles__permissions__codename="review_all_enrollments",
    )
    reviewers = User.objects.filter(
        Q(pk=enrollment.consultant_id) | reviews | Q(is_superuser=True),
        is_active=True,
    ).distinct()
    return list(reviewers)


def _student_username(customer: Customer) -> str:
    base = customer.qq or customer.phone or f"student{customer.pk}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


@transaction.atomic
def enrollment_approve(
    *,
    enrollment: Enrollment,
    by: User,
    base_url: str,
    payment_kind: str | None = None,
    payment_amount=None,
    payment_method: str = "cash",
) -> Enrollment:
    """Approve a submitted enrollment and open the student account.

    Fixes the contract terms (finance.services.terms_at_approval: the
    course's price, hours and refund policy, the contract text and its
    hash), records the first payment with its receipt if given, marks the
    customer enrolled, creates the student user (with the student role, see
    ``_student_roles``) if the customer has none, gives the student a study
    record of each lesson of the class already recorded (see
    ``_study_records_add``; the lessons from today on consume hours), and
    e-mails the customer a link to set their password (never a password) on
    commit.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.state != Enrollment.State.SUBMITTED:
        raise ValidationError(_("Only a submitted enrollment can be approved."))
    # The lock teacher.services.courserecord_create takes: a lesson recorded
    # meanwhile either sees this student approved or is seen here.
    ClassList.objects.select_for_update().filter(pk=enrollment.class_list_id).first()
    now = timezone.now()
    enrollment.state = Enrollment.State.APPROVED
    enrollment.approved_by = by
    enrollment.approved_at = now
    enrollment.save(update_fields=["state", "approved_by", "approved_at"])
    from finance.services import payment_record, terms_at_approval

    terms_at_approval(enrollment=enrollment, by=by)
    if payment_kind and payment_amount:
        payment_record(
            enrollment=enrollment,
            kind=payment_kind,
            amount=payment_amount,
            method=payment_method,
            by=by,
        )
    customer = enrollment.customer
    customer.status = Customer.Status.ENROLLED
    if customer.user_id is None:
        student = User(
            username=_student_username(customer),
            display_name=customer.name,
            email=customer.email,
        )
        student.set_unusable_password()
        student.save()
        student.roles.add(*_student_roles())
        customer.user = student
    customer.save(update_fields=["status", "user"])
    lessons = _study_records_add(enrollment, today=timezone.localdate(now))
    from finance.services import consumption_sync

    for lesson_id in lessons:
        consumption_sync(
            course_record_id=lesson_id, by=by, enrollment_ids=[enrollment.pk]
        )
    student = customer.user
    if customer.email:
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(student.pk)),
                "token": default_token_generator.make_token(student),
            },
        )
        body = _(
            "Dear %(name)s,\n\nyour enrollment in %(class)s has been approved. "
            "Welcome!\n\nA student account was opened for you. Your user name is "
            "%(username)s. Set your password here (the link works once):\n%(url)s\n"
        ) % {
            "name": customer,
            "class": enrollment.class_list,
            "username": student.username,
            "url": base_url.rstrip("/") + path,
        }
        subject = _("Your enrollment in %(class)s succeeded") % {
            "class": enrollment.class_list
        }
        enqueue_on_commit(
            send_email, subject=str(subject), body=str(body), to=[customer.email]
        )
    if event_wanted(Event.ENROLLMENT_APPROVED):
        event_emit(Event.ENROLLMENT_APPROVED, enrollment_payload(enrollment))
    return enrollment


def _student_roles():
    """Return the roles a new student account gets.

    The roles that hold the student portal permission and nothing beyond
    what students get (the portal and their own timetable): the roles made
    for students' accounts, whatever their names. A role holding more (the
    administrators' holds every permission) is never given to a student.
    """
    from django.db.models import Exists, OuterRef

    from accounts.models import Role

    portal = Q(
        permission__content_type__app_label="student",
        permission__codename="use_student_portal",
    )
    students_own = portal | Q(
        permission__content_type__app_label="timetable",
        permission__codename="view_own_timetable",
    )
    grants = Role.permissions.through.objects.filter(role=OuterRef("pk"))
    return Role.objects.filter(Exists(grants.filter(portal))).exclude(
        Exists(grants.exclude(students_own))
    )


def _study_records_add(enrollment: Enrollment, *, today) -> list[int]:
    """Give the student a study record of each lesson the class already has.

    Without one they could not hand in that lesson's homework. Lessons dated
    before ``today`` were held before the student joined: their attendance
    is "not enrolled yet", which counts neither as attended nor as missed
    (marking them absent would count against the student; the teacher can
    correct it, e.g. to present for a trial lesson). Lessons of today or
    later start "present", as every student's do. Records the enrollment
    already has are kept: one query to read, one to insert. Return the
    ids of the lessons of today or later (their hours count, finance).
    """
    from teacher.models import CourseRecord, StudyRecord

    lessons = (
        CourseRecord.objects.filter(class_list_id=enrollment.class_list_id)
        .exclude(study_records__enrollment=enrollment)
        .values_list("pk", "date")
        .order_by("lesson_number")
    )
    lessons = list(lessons)
    StudyRecord.objects.bulk_create(
        StudyRecord(
            enrollment=enrollment,
            course_record_id=pk,
            attendance=StudyRecord.Attendance.NOT_ENROLLED
            if day < today
            else StudyRecord.Attendance.PRESENT,
        )
        for pk, day in lessons
    )
    return [pk for pk, day in lessons if day >= today]


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, by: User, reason: str) -> Enrollment:
    """Reject a submitted enrollment with a reason, mailed to the customer."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for the rejection."))
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.state != Enrollment.State.SUBMITTED:
        raise ValidationError(_("Only a submitted enrollment can be rejected."))
    enrollment.state = Enrollment.State.REJECTED
    enrollment.reject_reason = reason
    enrollment.save(update_fields=["state", "reject_reason"])
    customer = enrollment.customer
    notification_send(
        recipient=enrollment.consultant,
        text=_("The enrollment of %(customer)s in %(class)s was rejected: %(reason)s")
        % {"customer": customer, "class": enrollment.class_list, "reason": reason},
        link=reverse("crm:customer_detail", args=[customer.pk]),
    )
    if customer.email:
        body = _(
            "Dear %(name)s,\n\nyour enrollment form for %(class)s could not be "
            "accepted:\n\n%(reason)s\n\nYour consultant will send you a new link."
        ) % {"name": customer, "class": enrollment.class_list, "reason": reason}
        subject = _("Your enrollment in %(class)s needs another look") % {
            "class": enrollment.class_list
        }
        enqueue_on_commit(
            send_email, subject=str(subject), body=str(body), to=[customer.email]
        )
    return enrollment

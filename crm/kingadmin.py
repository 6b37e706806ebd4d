"""The CRM's models in kingadmin."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import kingadmin
from accounts.models import User
from crm import pool
from crm.assignment import assignment_message, customers_assign_by_rules
from crm.capture import embed_snippet, lead_form_save
from crm.forms import CustomerForm
from crm.models import (
    AssignmentRule,
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    CustomerMerge,
    Enrollment,
    EnrollmentDocument,
    EnrollmentLink,
    LeadForm,
    LeadImport,
    LeadSubmission,
    Payment,
    PersonalDataAccess,
    Tag,
)
from crm.privacy import may_view_id_numbers, personal_data_access_record
from crm.search import customer_search_q
from crm.selectors import stale_q
from crm.services import (
    customer_duplicate_report,
    customer_save,
    enrollment_link_revoke,
    followup_add,
)
from kingadmin.columns import fast_format_html
from kingadmin.forms import KingadminModelForm
from kingadmin.links import reverse_id


@kingadmin.register(Branch)
class BranchAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name", "address")


@kingadmin.register(Course)
class CourseAdmin(kingadmin.ModelAdmin):
    list_display = (
        "name",
        "price",
        "period_months",
        "class_hours",
        "hours_per_lesson",
        "refund_policy",
    )
    list_select_related = ("refund_policy",)
    search_fields = ("name",)
    ordering = ("name",)


@kingadmin.register(ContractTemplate)
class ContractTemplateAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@kingadmin.register(ClassList)
class ClassListAdmin(kingadmin.ModelAdmin):
    list_display = (
        "__str__",
        "branch",
        "course",
        "class_type",
        "semester",
        "start_date",
        "end_date",
    )
    list_filter = ("branch", "course", "class_type", "start_date")
    search_fields = ("name", "course__name")
    ordering = ("-start_date",)

    # -- pickers (issue 10): teachers only, found by searching ----------------
    autocomplete_fields = ("teachers",)

    def get_field_queryset(self, db, db_field, request):
        """Offer only teachers (holders of the teacher portal) as a class's teachers."""
        from accounts.selectors import users_with_permission

        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "teachers":
            return users_with_permission("teacher.use_teacher_portal", users=queryset)
        return queryset


@kingadmin.register(Tag)
class TagAdmin(kingadmin.ModelAdmin):
    search_fields = ("name",)


class NotFollowedUpFilter(kingadmin.SimpleListFilter):
    """Leads nobody worked for more than N days (entry, follow-up or new owner)."""

    title = _("not followed up for")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        days = sorted({7, 14, settings.CRM_STALE_LEAD_DAYS, 60, 90})
        return [(d, _("more than %(days)d days") % {"days": d}) for d in days]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(stale_q(days=int(self.value())))


class MineFilter(kingadmin.SimpleListFilter):
    """Only the leads in the logged-in user's private pool."""

    title = _("owner")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My customers"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(consultant=request.user, pool=Customer.Pool.PRIVATE)


class UnassignedFilter(kingadmin.SimpleListFilter):
    """The leads no assignment rule could place, waiting for a manager."""

    title = _("assignment")
    parameter_name = "unassigned"

    def lookups(self, request, model_admin):
        return [("1", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(unassigned=True)


class ImportFilter(kingadmin.SimpleListFilter):
    """The leads of one spreadsheet import (the link of the import's log page)."""

    title = _("import")
    parameter_name = "lead_import"

    def lookups(self, request, model_admin):
        # Offered only when asked for, and only an import the user may see.
        from crm.permissions import own_imports
        from kingadmin.fields import parse_pk

        pk = parse_pk(LeadImport, request.GET.get(self.parameter_name))
        if pk is None:
            return []
        imports = LeadImport.objects.filter(pk=pk)
        if not request.user.is_superuser:
            imports = own_imports(request, imports)
        return [(found.pk, str(found)) for found in imports]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(lead_import=self.value())


class ReassignForm(forms.Form):
    """Whom a manager gives the selected leads to."""

    to = forms.ModelChoiceField(
        label=_("Give the selected leads to"), queryset=User.objects.none()
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = users
        self.fields["to"].widget.attrs["class"] = "form-select"


@kingadmin.register(Customer)
class CustomerAdmin(kingadmin.ModelAdmin):
    form = CustomerForm
    list_display = (
        "name_link",
        "qq_link",
        "phone",
        "source",
        "consult_course",
        "status",
        "consultant",
        "created_at",
        "last_followup_at",
    )
    list_filter = (
        MineFilter,
        "pool",
        UnassignedFilter,
        ImportFilter,
        NotFollowedUpFilter,
        "source",
        "status",
        "consult_course",
        "consultant",
        "tags",
        "created_at",
        "last_followup_at",
    )
    search_fields = ("name", "qq_name", "^qq", "^phone")
    ordering = ("-created_at",)
    # The status follows the enrollments (approval makes a lead "enrolled");
    # the consultant is the user who enters the lead unless they may choose.
    # The pool fields move only through crm.pool (claim, release, fall back).
    readonly_fields = (
        "status",
        "pool",
        "pooled_at",
        "created_at",
        "last_followup_at",
        "last_activity_at",
    )
    current_user_fields = ("consultant",)
    actions = ("claim", "release", "reassign", "assign_by_rules", "delete_selected")
    filter_horizontal = ("tags",)
    list_select_related = ("consult_course", "consultant")
    # What the columns (of both lists) and __str__ read: 14 of the 46
    # columns of a customer, its course and its consultant.
    list_only = (
        "name",
        "qq",
        "qq_name",
        "phone",
        "source",
        "status",
        "created_at",
        "last_followup_at",
        "last_activity_at",
        "consult_course__name",
        "consultant__username",
        "consultant__first_name",
        "consultant__last_name",
        "consultant__display_name",
    )
    exclude = ("user",)

    list_display_links = None

    def _public_list(self, request) -> bool:
        return request.GET.get("pool") == Customer.Pool.PUBLIC

    def get_list_display(self, request):
        if self._public_list(request):
            # The public pool: who was the owner and how long nobody worked it.
            return (
                "name_link",
                "qq_link",
                "phone",
                "source",
                "consult_course",
                "idle_days",
                "consultant",
                "last_followup_at",
            )
        return self.list_display

    def get_ordering(self, request):
        if self._public_list(request):
            return ("last_activity_at", "pk")
        return super().get_ordering(request)

    @kingadmin.display(description=_("idle days"), ordering="last_activity_at")
    def idle_days(self, obj):
        return (timezone.now() - obj.last_activity_at).days

    @kingadmin.action(description=_("Claim the selected leads"))
    def claim(self, request, queryset):
        won, lost = 0, []
        for customer in queryset.select_related("consultant"):
            try:
                pool.customer_claim(customer=customer, by=request.user)
            except ValidationError as error:
                lost.append(f"{customer}: {' '.join(error.messages)}")
                if error.code == "pool_cap":
                    break
            else:
                won += 1
        if won:
            messages.success(
                request,
                ngettext(
                    "%(count)d lead is now in your private pool.",
                    "%(count)d leads are now in your private pool.",
                    won,
                )
                % {"count": won},
            )
        for text in lost:
            messages.error(request, text)

    @kingadmin.action(description=_("Release the selected leads to the public pool"))
    def release(self, request, queryset):
        released = 0
        for customer in queryset:
            try:
                pool.customer_release(customer=customer, by=request.user)
            except ValidationError as error:
                messages.error(request, f"{customer}: {' '.join(error.messages)}")
            else:
                released += 1
        if released:
            messages.success(
                request,
                ngettext(
                    "%(count)d lead is in the public pool now.",
                    "%(count)d leads are in the public pool now.",
                    released,
                )
                % {"count": released},
            )

    @kingadmin.action(description=_("Give the selected leads to a sales"))
    def reassign(self, request, queryset):
        # The sales who may hold leads: the consultant field's own choices.
        users = self.choices_queryset(self.opts.get_field("consultant"), request)
        form = ReassignForm(
            request.POST if request.POST.get("post") == "yes" else None, users=users
        )
        if form.is_bound and form.is_valid():
            moved = pool.customers_reassign(
                customers=queryset, to=form.cleaned_data["to"], by=request.user
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d lead was given to %(user)s.",
                    "%(count)d leads were given to %(user)s.",
                    moved,
                )
                % {"count": moved, "user": form.cleaned_data["to"]},
            )
            return None
        return TemplateResponse(
            request,
            "kingadmin/crm/customer/reassign.html",
            self.base_context(
                request,
                title=_("Give leads to a sales"),
                objects=list(queryset),
                form=form,
                return_url=request.get_full_path(),
            ),
        )

    @kingadmin.action(description=_("Assign by the rules"))
    def assign_by_rules(self, request, queryset):
        counts = customers_assign_by_rules(customers=queryset, by=request.user)
        messages.success(request, assignment_message(counts))

    def response_after_save(self, request, obj, add):
        response = super().response_after_save(request, obj, add)
        if (
            add
            and "_continue" not in request.POST
            and "_addanother" not in request.POST
        ):
            # A new lead is worked next: its page has the follow-up and the link.
            return redirect("crm:customer_detail", pk=obj.pk)
        return response

    def may_unmask(self, request, obj, name):
        return may_view_id_numbers(request.user)

    def change_view(self, request, object_id):
        response = super().change_view(request, object_id)
        customer = (
            response.context_data.get("object") if response.status_code == 200 else None
        )
        if (
            customer is not None
            and customer.id_number
            and self.may_unmask(request, customer, "id_number")
        ):
            # The page shows the whole number (in the form): who saw it is kept.
            personal_data_access_record(
                user=request.user,
                customer=customer,
                kind=PersonalDataAccess.Kind.ID_NUMBER,
                path=request.path,
            )
        return response

    def history_view(self, request, object_id):
        response = super().history_view(request, object_id)
        customer = response.context_data["object"]
        response.context_data["accesses"] = (
            customer.personal_data_accesses.select_related("user", "document")[:200]
        )
        return response

    @kingadmin.display(description=_("name"), ordering="name")
    def name_link(self, obj):
        # fast_format_html: format_html, without the lazy-string wrapper, per row.
        return fast_format_html(
            '<a href="{}">{}</a>', reverse_id("crm:customer_detail", obj.pk), obj
        )

    def get_search_results(self, request, queryset, search_term):
        # A number typed with dashes or +86 finds the stored canonical form.
        term = search_term.replace("\x00", "").strip()[:100]
        if not term:
            return queryset, False
        return queryset.filter(customer_search_q(term)), False

    def save_model(self, request, obj, form, change):
        customer_save(customer=obj, by=request.user)

    def form_invalid(self, request, form):
        existing = getattr(form, "duplicate", None)
        if existing is None:
            from crm.services import DuplicateCustomer

            for error in form.non_field_errors().as_data():
                if isinstance(error, DuplicateCustomer):
                    existing = error.existing
        if existing is not None:
            customer_duplicate_report(existing=existing, by=request.user)

    @kingadmin.display(description="QQ", ordering="qq")
    def qq_link(self, obj):
        if not obj.qq:
            return None
        return fast_format_html(
            '<a href="tencent://message/?uin={}">'
            '<i class="bi bi-chat-dots" aria-hidden="true"></i> {}</a>',
            obj.qq,
            obj.qq,
        )

    # -- pickers (issue 10): consultants are sales, found by searching --------
    # The form field, its autocomplete and the "consultant" list filter all
    # offer these (and only the ones the user may view).
    autocomplete_fields = ("consultant",)

    def get_field_queryset(self, db, db_field, request):
        """Offer only sales (holders of the own-customers rule) as consultants."""
        from accounts.selectors import users_with_permission

        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "consultant":
            return users_with_permission("crm.view_own_customers", users=queryset)
        return queryset


@kingadmin.register(AssignmentRule)
class AssignmentRuleAdmin(kingadmin.ModelAdmin):
    list_display = (
        "name",
        "campus",
        "course",
        "source",
        "strategy",
        "priority",
        "is_active",
        "last_member",
    )
    list_filter = ("is_active", "strategy", "campus", "course", "source")
    list_select_related = ("campus", "course", "last_member")
    search_fields = ("name",)
    ordering = ("priority", "pk")
    filter_horizontal = ("members",)

    def get_field_queryset(self, db, db_field, request):
        """Offer only sales as members; managers as the manager to tell."""
        from accounts.selectors import users_with_permission

        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "members":
            return users_with_permission("crm.view_own_customers", users=queryset)
        if db_field.name == "manager":
            return users_with_permission("crm.work_all_customers", users=queryset)
        return queryset


@kingadmin.register(CustomerFollowUp)
class CustomerFollowUpAdmin(kingadmin.ModelAdmin):
    list_display = ("customer", "consultant", "intention", "created_at")
    list_filter = ("intention", "created_at")
    search_fields = ("customer__name", "content")
    list_select_related = ("customer", "consultant")
    # Who followed up and when are facts, not input: the lead's place in the
    # public pool depends on them.
    readonly_fields = ("consultant", "created_at")
    current_user_fields = ("consultant",)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        saved = followup_add(
            customer=obj.customer,
            by=request.user,
            content=obj.content,
            intention=obj.intention,
        )
        obj.pk, obj.consultant, obj.created_at = (
            saved.pk,
            saved.consultant,
            saved.created_at,
        )


@kingadmin.register(Enrollment)
class EnrollmentAdmin(kingadmin.ModelAdmin):
    list_display = (
        "customer",
        "class_list",
        "consultant",
        "state",
        "submitted_at",
        "approved_at",
        "review_link",
    )
    list_filter = ("state", "class_list", "submitted_at", "approved_at")
    search_fields = ("customer__name", "customer__qq", "customer__phone")
    list_select_related = ("customer", "class_list__course", "consultant")
    # The state moves only through the services (link, submission, review).
    readonly_fields = (
        "state",
        "contract_agreed",
        "contract_agreed_at",
        "submitted_at",
        "approved_by",
        "approved_at",
        "reject_reason",
    )
    current_user_fields = ("consultant",)

    @kingadmin.display(description=_("review"))
    def review_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse_id("crm:enrollment_review", obj.pk),
            _("Review"),
        )


@kingadmin.register(EnrollmentDocument)
class EnrollmentDocumentAdmin(kingadmin.ModelAdmin):
    list_display = (
        "original_name",
        "enrollment",
        "size",
        "content_type",
        "uploaded_at",
    )
    list_select_related = ("enrollment__customer", "enrollment__class_list__course")
    readonly_fields = ("file", "original_name", "size", "content_type")


@kingadmin.register(Payment)
class PaymentAdmin(kingadmin.ReadOnlyModelAdmin):
    """Payments are recorded on the enrollment's account page (finance), with
    their ledger entry and receipt; corrected there by reversing the entry."""

    list_display = ("enrollment", "kind", "amount", "consultant", "created_at")
    list_filter = ("kind", "created_at")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list__course",
        "consultant",
    )


@kingadmin.register(EnrollmentLink)
class EnrollmentLinkAdmin(kingadmin.ModelAdmin):
    """Links are created from the customer page; here they can be seen and revoked."""

    list_display = (
        "enrollment",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "used_at",
    )
    list_filter = ("created_at", "expires_at")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list",
        "created_by",
    )
    fields = (
        "enrollment",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "used_at",
    )
    readonly_fields = (
        "enrollment",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
    )
    actions = ("revoke",)

    @kingadmin.action(description=_("Revoke the selected links"))
    def revoke(self, request, queryset):
        for link in queryset:
            enrollment_link_revoke(link=link)


@kingadmin.register(LeadImport)
class LeadImportAdmin(kingadmin.ReadOnlyModelAdmin):
    """The log of lead imports: written by ``crm.lead_imports``, read here."""

    list_display = (
        "original_name",
        "state",
        "created_by",
        "consultant",
        "rows",
        "created",
        "duplicates",
        "errors",
        "created_at",
    )
    list_filter = ("state", "created_at")
    search_fields = ("original_name",)
    list_select_related = ("created_by", "consultant")
    ordering = ("-created_at",)


class LeadFormForm(KingadminModelForm):
    """A lead form's fields asked, as checkboxes (phone and QQ always are)."""

    fields = forms.MultipleChoiceField(
        label=_("fields asked"),
        choices=[
            choice
            for choice in LeadForm.Field.choices
            if choice[0] not in ("phone", "qq")
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Phone and QQ are always asked; pick the others."),
    )


@kingadmin.register(LeadForm)
class LeadFormAdmin(kingadmin.ModelAdmin):
    """A campaign's public lead form: its link and embed code on its page."""

    form = LeadFormForm
    list_display = (
        "name",
        "source",
        "campus",
        "course",
        "is_active",
        "submission_count",
        "public_link",
        "created_at",
    )
    list_filter = ("is_active", "source", "campus")
    search_fields = ("name", "title")
    list_select_related = ("campus", "course")
    ordering = ("-created_at",)
    # Who created it is a fact, set to the user who adds it.
    readonly_fields = ("created_by", "created_at")
    current_user_fields = ("created_by",)
    autocomplete_fields = ("owner",)

    def get_queryset(self, request):
        # The count of each row in the list's one query (no query per row).
        submissions = (
            LeadSubmission.objects.filter(form=OuterRef("pk"))
            .order_by()
            .values("form")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(submission_total=Coalesce(Subquery(submissions), 0))
        )

    @kingadmin.display(description=_("submissions"), ordering="submission_total")
    def submission_count(self, obj):
        return getattr(obj, "submission_total", None)

    @kingadmin.display(description=_("public link"))
    def public_link(self, obj):
        url = reverse("lead_form", args=[obj.token])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', url, url
        )

    def get_field_queryset(self, db, db_field, request):
        """Offer only sales as the owner of leads no rule places."""
        from accounts.selectors import users_with_permission

        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "owner":
            return users_with_permission("crm.view_own_customers", users=queryset)
        return queryset

    def save_model(self, request, obj, form, change):
        lead_form_save(lead_form=obj, by=request.user)

    def change_view(self, request, object_id):
        response = super().change_view(request, object_id)
        context = getattr(response, "context_data", None) or {}
        lead_form = context.get("object")
        if lead_form is not None:
            url = request.build_absolute_uri(
                reverse("lead_form", args=[lead_form.token])
            )
            context["public_url"] = url
            context["embed_snippet"] = embed_snippet(
                url, title=lead_form.title or lead_form.name
            )
        return response


@kingadmin.register(LeadSubmission)
class LeadSubmissionAdmin(kingadmin.ReadOnlyModelAdmin):
    """The submissions of the lead forms: written by ``crm.capture``, read here."""

    list_display = (
        "created_at",
        "form",
        "customer",
        "outcome",
        "utm_source",
        "utm_campaign",
    )
    list_filter = ("form", "outcome", "created_at")
    list_select_related = ("form", "customer")
    ordering = ("-created_at",)


@kingadmin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(kingadmin.ReadOnlyModelAdmin):
    """The record of who saw personal data: read, never written by hand."""

    list_display = ("accessed_at", "user", "customer", "kind", "path")
    list_filter = ("kind", "accessed_at")
    search_fields = ("customer__name", "user__username", "user__display_name")
    list_select_related = ("user", "customer")


@kingadmin.register(CustomerMerge)
class CustomerMergeAdmin(kingadmin.ReadOnlyModelAdmin):
    """The merge log: written by ``crm.merge``, undone on the kept customer's page."""

    list_display = (
        "merged_at",
        "survivor",
        "merged_name",
        "merged_by",
        "undone_at",
        "undo_link",
    )
    list_filter = ("merged_at",)
    search_fields = ("merged_name", "survivor__name")
    list_select_related = ("survivor", "merged_by")
    ordering = ("-merged_at",)

    @kingadmin.display(description=_("undo"))
    def undo_link(self, obj):
        if obj.undone_at is not None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse_id("crm:customer_detail", obj.survivor_id),
            _("Undo on the kept customer's page"),
        )

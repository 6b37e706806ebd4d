from django.contrib import admin

from crm.models import (
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
    EnrollmentDocument,
    EnrollmentLink,
    Payment,
    PersonalDataAccess,
    Tag,
)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "period_months")
    search_fields = ("name",)


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(ClassList)
class ClassListAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "branch",
        "course",
        "class_type",
        "semester",
        "start_date",
    )
    list_filter = ("branch", "course", "class_type")
    list_select_related = ("branch", "course")
    filter_horizontal = ("teachers",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "name",
        "qq",
        "phone",
        "source",
        "consult_course",
        "status",
        "consultant",
        "created_at",
        "last_followup_at",
    )
    list_filter = ("source", "status", "consult_course", "created_at")
    list_select_related = ("consult_course", "consultant")
    search_fields = ("name", "qq", "phone", "qq_name")
    raw_id_fields = ("consultant", "user")
    filter_horizontal = ("tags",)
    show_full_result_count = False
    date_hierarchy = None


@admin.register(CustomerFollowUp)
class CustomerFollowUpAdmin(admin.ModelAdmin):
    list_display = ("customer", "consultant", "intention", "created_at")
    list_filter = ("intention",)
    list_select_related = ("customer", "consultant")
    raw_id_fields = ("customer", "consultant")
    show_full_result_count = False


class EnrollmentDocumentInline(admin.TabularInline):
    model = EnrollmentDocument
    extra = 0
    readonly_fields = ("original_name", "size", "content_type", "uploaded_at")


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    raw_id_fields = ("consultant",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("customer", "class_list", "consultant", "state", "approved_at")
    list_filter = ("state", "class_list")
    list_select_related = ("customer", "class_list__course", "consultant")
    raw_id_fields = ("customer", "consultant", "approved_by")
    inlines = [EnrollmentDocumentInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "kind", "amount", "consultant", "created_at")
    list_filter = ("kind",)
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list__course",
        "consultant",
    )
    raw_id_fields = ("enrollment", "consultant")


@admin.register(EnrollmentDocument)
class EnrollmentDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "enrollment",
        "size",
        "content_type",
        "uploaded_at",
    )
    list_select_related = ("enrollment__customer", "enrollment__class_list__course")
    raw_id_fields = ("enrollment",)


@admin.register(EnrollmentLink)
class EnrollmentLinkAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "created_by", "created_at", "expires_at", "used_at")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list",
        "created_by",
    )
    exclude = ("token_hash",)
    raw_id_fields = ("enrollment", "created_by")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The record of who saw personal data is read, never written by hand."""

    list_display = ("accessed_at", "user", "customer", "kind", "path")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""The CRM's models in kingadmin."""

import kingadmin
from crm.models import (
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
    EnrollmentDocument,
    Payment,
    Tag,
)


@kingadmin.register(Branch)
class BranchAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name", "address")


@kingadmin.register(Course)
class CourseAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "price", "period_months")
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
    filter_horizontal = ("teachers",)
    ordering = ("-start_date",)


@kingadmin.register(Tag)
class TagAdmin(kingadmin.ModelAdmin):
    search_fields = ("name",)


@kingadmin.register(Customer)
class CustomerAdmin(kingadmin.ModelAdmin):
    list_display = (
        "name",
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
    readonly_fields = ("created_at", "last_followup_at")
    filter_horizontal = ("tags",)
    list_select_related = ("consult_course", "consultant")
    exclude = ("user",)

    @kingadmin.display(description="QQ", ordering="qq")
    def qq_link(self, obj):
        from django.utils.html import format_html

        if not obj.qq:
            return None
        return format_html(
            '<a href="tencent://message/?uin={}">'
            '<i class="bi bi-chat-dots" aria-hidden="true"></i> {}</a>',
            obj.qq,
            obj.qq,
        )


@kingadmin.register(CustomerFollowUp)
class CustomerFollowUpAdmin(kingadmin.ModelAdmin):
    list_display = ("customer", "consultant", "intention", "created_at")
    list_filter = ("intention", "created_at")
    search_fields = ("customer__name", "content")
    list_select_related = ("customer", "consultant")


@kingadmin.register(Enrollment)
class EnrollmentAdmin(kingadmin.ModelAdmin):
    list_display = (
        "customer",
        "class_list",
        "consultant",
        "state",
        "submitted_at",
        "approved_at",
    )
    list_filter = ("state", "class_list", "submitted_at", "approved_at")
    search_fields = ("customer__name", "customer__qq", "customer__phone")
    list_select_related = ("customer", "class_list__course", "consultant")
    readonly_fields = (
        "contract_agreed_at",
        "submitted_at",
        "approved_by",
        "approved_at",
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
class PaymentAdmin(kingadmin.ModelAdmin):
    list_display = ("enrollment", "kind", "amount", "consultant", "created_at")
    list_filter = ("kind", "created_at")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list__course",
        "consultant",
    )

from django.urls import path

from crm import import_views, merge_views, report_views, views
from timetable import trial_views

app_name = "crm"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/followups/", views.followup_add, name="followup_add"),
    path("customers/<int:pk>/claim/", views.customer_claim, name="customer_claim"),
    path(
        "customers/<int:pk>/release/", views.customer_release, name="customer_release"
    ),
    path(
        "customers/<int:pk>/enrollment-link/",
        views.enrollment_link_create,
        name="enrollment_link_create",
    ),
    path(
        "customers/<int:pk>/trials/",
        trial_views.trial_book_view,
        name="trial_book",
    ),
    path(
        "customers/<int:pk>/trials/<int:trial_id>/cancel/",
        trial_views.trial_cancel_view,
        name="trial_cancel",
    ),
    path("enrollments/<int:pk>/", views.enrollment_review, name="enrollment_review"),
    path(
        "enrollments/<int:pk>/approve/",
        views.enrollment_approve,
        name="enrollment_approve",
    ),
    path(
        "enrollments/<int:pk>/reject/",
        views.enrollment_reject,
        name="enrollment_reject",
    ),
    path(
        "enrollments/<int:pk>/documents/<int:document_id>/",
        views.enrollment_document,
        name="enrollment_document",
    ),
    path("reports/", report_views.reports, name="reports"),
    path(
        "customers/duplicates/",
        merge_views.customer_duplicates,
        name="customer_duplicates",
    ),
    path("customers/merge/", merge_views.customer_merge_view, name="customer_merge"),
    path(
        "customers/<int:pk>/merge/",
        merge_views.customer_merge_find,
        name="customer_merge_find",
    ),
    path(
        "merges/<int:pk>/undo/",
        merge_views.customer_merge_undo_view,
        name="customer_merge_undo",
    ),
    # Spreadsheet imports of leads (crm.import_views).
    path("imports/", import_views.lead_import_list, name="lead_import_list"),
    path(
        "imports/template.xlsx",
        import_views.lead_import_template,
        name="lead_import_template",
    ),
    path("imports/new/", import_views.lead_import_new, name="lead_import_new"),
    path(
        "imports/<int:pk>/", import_views.lead_import_detail, name="lead_import_detail"
    ),
    path(
        "imports/<int:pk>/progress/",
        import_views.lead_import_progress,
        name="lead_import_progress",
    ),
    path(
        "imports/<int:pk>/columns/",
        import_views.lead_import_columns,
        name="lead_import_columns",
    ),
    path(
        "imports/<int:pk>/preview/",
        import_views.lead_import_preview,
        name="lead_import_preview",
    ),
    path(
        "imports/<int:pk>/choose/",
        import_views.lead_import_choose_view,
        name="lead_import_choose",
    ),
    path(
        "imports/<int:pk>/commit/",
        import_views.lead_import_commit_view,
        name="lead_import_commit",
    ),
    path(
        "imports/<int:pk>/revert/",
        import_views.lead_import_revert_view,
        name="lead_import_revert",
    ),
]

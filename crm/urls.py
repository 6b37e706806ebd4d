from django.urls import path

from crm import report_views, views

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
]

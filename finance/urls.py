from django.urls import path

from finance import report_views, views

app_name = "finance"

urlpatterns = [
    path("enrollments/<int:pk>/", views.enrollment, name="enrollment"),
    path("enrollments/<int:pk>/payments/", views.payment_new, name="payment_new"),
    path("enrollments/<int:pk>/plan/", views.plan_set, name="plan_set"),
    path("enrollments/<int:pk>/refund/", views.refund_request, name="refund_request"),
    path("enrollments/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("enrollments/<int:pk>/suspend/", views.suspend, name="suspend"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("balances/", views.balances, name="balances"),
    path("overdue/", views.overdue, name="overdue"),
    path("refunds/", views.refunds, name="refunds"),
    path("refunds/<int:pk>/decide/", views.refund_decide, name="refund_decide"),
    path("reports/", report_views.report, name="report"),
    path("reports/export/", report_views.report_export, name="report_export"),
]

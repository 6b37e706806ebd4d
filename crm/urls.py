from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/followups/", views.followup_add, name="followup_add"),
]

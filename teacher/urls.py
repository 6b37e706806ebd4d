from django.urls import path

from teacher import views

app_name = "teacher"

urlpatterns = [
    path("", views.class_list, name="class_list"),
]

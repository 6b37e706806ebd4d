from django.urls import path

from teacher import views

app_name = "teacher"

urlpatterns = [
    path("", views.class_list, name="class_list"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path(
        "classes/<int:class_id>/lessons/new/",
        views.lesson_create,
        name="lesson_create",
    ),
    path(
        "sessions/<int:session_id>/record/",
        views.session_record,
        name="session_record",
    ),
    path("lessons/<int:lesson_id>/roll-call/", views.roll_call, name="roll_call"),
    path("lessons/<int:lesson_id>/homework/", views.homework, name="homework"),
    path(
        "lessons/<int:lesson_id>/homework/<int:record_id>/",
        views.homework_download,
        name="homework_download",
    ),
    path(
        "lessons/<int:lesson_id>/homework.zip",
        views.homework_zip,
        name="homework_zip",
    ),
    path("lessons/<int:lesson_id>/grades/", views.grading, name="grading"),
]

from django.urls import path

from student import views

app_name = "student"

urlpatterns = [
    path("", views.home, name="home"),
    path("classes/<int:pk>/", views.class_detail, name="class_detail"),
    path("classes/<int:pk>/grades/", views.grades, name="grades"),
    path("classes/<int:pk>/contract/", views.contract, name="contract"),
    path(
        "classes/<int:pk>/documents/<int:document_id>/",
        views.document,
        name="document",
    ),
    path(
        "classes/<int:pk>/receipts/<int:receipt_id>/",
        views.receipt,
        name="receipt",
    ),
    path("homework/<int:pk>/", views.homework_submit, name="homework_submit"),
    path("homework/<int:pk>/file/", views.homework_file, name="homework_file"),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:pk>/", views.question_detail, name="question_detail"),
    path("questions/open/", views.question_open_list, name="question_open_list"),
    path("questions/<int:pk>/answer/", views.question_answer, name="question_answer"),
]

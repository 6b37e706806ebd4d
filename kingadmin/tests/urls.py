"""URLs of kingadmin's toy project: two admin sites, login, two plain views."""

from django.urls import include, path

import kingadmin
from kingadmin.tests.toy import views
from kingadmin.tests.toy.kingadmin import backoffice

urlpatterns = [
    path("admin/", kingadmin.site.urls),
    path("backoffice/", backoffice.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("report/", views.book_report, name="book_report"),
    path("orphan/", views.orphan, name="orphan"),
]

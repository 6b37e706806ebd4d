from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

import kingadmin
from accounts import views as account_views
from crm import views as crm_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("crm/", include("crm.urls")),
    # The customer's enrollment form: no login, the random token is the key.
    path("enroll/<str:token>/", crm_views.enroll, name="enroll"),
    path("teacher/", include("teacher.urls")),
    path("student/", include("student.urls")),
    path("kingadmin/", kingadmin.site.urls),
    # One login page for the whole site, with its lockout and throttles.
    path(
        "admin/login/",
        RedirectView.as_view(url=reverse_lazy("login"), query_string=True),
    ),
    path("admin/", admin.site.urls),
]

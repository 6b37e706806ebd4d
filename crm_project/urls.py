from django.urls import include, path

import kingadmin
from accounts import views as account_views
from crm import capture_views
from crm import views as crm_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("crm/", include("crm.urls")),
    path("jobs/", include("jobs.urls")),
    # The REST API (api/): /api/v1/..., its schema and docs, the tokens page.
    path("api/", include("api.urls")),
    # The customer's enrollment form: no login, the random token is the key.
    path("enroll/<str:token>/", crm_views.enroll, name="enroll"),
    # A campaign's public lead form (crm.capture_views): no login, embeddable.
    path("f/<str:token>/", capture_views.lead_form, name="lead_form"),
    path(
        "f/<str:token>/thanks/",
        capture_views.lead_form_thanks,
        name="lead_form_thanks",
    ),
    path("teacher/", include("teacher.urls")),
    path("student/", include("student.urls")),
    path("timetable/", include("timetable.urls")),
    path("finance/", include("finance.urls")),
    # The only admin: django.contrib.admin is not installed (README, "kingadmin
    # and permissions"); bench/urls.py adds it as a peer for the benchmarks.
    path("kingadmin/", kingadmin.site.urls),
]

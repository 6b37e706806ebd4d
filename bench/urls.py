"""The project's URLs plus Django's admin at /admin/, for the benchmarks only."""

from django.contrib import admin
from django.urls import path

from bench import peer_admin
from crm_project.urls import urlpatterns as project_urlpatterns

peer_admin.register()

urlpatterns = [*project_urlpatterns, path("admin/", admin.site.urls)]

"""The project's URLs plus Django's admin at /admin/, for the benchmarks only."""

from django.contrib import admin
from django.urls import path

from bench import peer_admin
from crm.models import Customer
from crm_project.urls import urlpatterns as project_urlpatterns

peer_admin.register()
# As fast as Django admin's list goes: no second, full count of the table
# (bench/changelist.py and bench/throughput.py compare against this).
admin.site.get_model_admin(Customer).show_full_result_count = False

urlpatterns = [*project_urlpatterns, path("admin/", admin.site.urls)]

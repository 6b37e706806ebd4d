from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        # Every app's jobs, so that the registry (retries, periodic jobs) is
        # complete in every process, not only where a job was enqueued.
        from django.apps import apps
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
        # The queue library names its app in English only; the jobs list
        # shows under this name instead (translated).
        apps.get_app_config("django_tasks_database").verbose_name = _("Job queue")

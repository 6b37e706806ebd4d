from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentConfig(AppConfig):
    name = "student"
    verbose_name = _("Students")

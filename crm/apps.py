from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customer relations")

    def ready(self):
        from django.db.models.signals import post_save

        from crm.models import Customer
        from crm.search import reindex_on_save

        post_save.connect(
            reindex_on_save, sender=Customer, dispatch_uid="crm.search.reindex"
        )

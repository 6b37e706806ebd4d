from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from webhooks.models import WebhookSubscription
        from webhooks.services import subscriptions_forget

        # A transaction that read the active subscriptions reads them again
        # once it changed one (webhooks.services._active_subscriptions).
        for signal in (post_save, post_delete):
            signal.connect(
                subscriptions_forget,
                sender=WebhookSubscription,
                dispatch_uid=f"webhooks.forget.{signal is post_save}",
            )

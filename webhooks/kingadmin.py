"""Webhooks in kingadmin: the subscriptions, and the log of their deliveries.

For the school's administrators (no demo role but theirs holds these
permissions): an administrator subscribes a receiver's URL to events and
reads its signing secret on the subscription's page; deliveries are written
by the code and only listed, opened and, when failed, sent again.
"""

from django import forms
from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import kingadmin
from kingadmin.forms import KingadminModelForm
from webhooks.models import (
    Event,
    WebhookDelivery,
    WebhookSubscription,
    scheme_error,
)
from webhooks.services import deliveries_redeliver, subscription_save


class WebhookSubscriptionForm(KingadminModelForm):
    """The events as checkboxes; a URL that is not http(s) refused, saying why."""

    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        error_messages = {"url": {"invalid": scheme_error().message}}


@kingadmin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(kingadmin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "event_names", "is_active", "created_at")
    list_filter = ("is_active", "created_at")
    search_fields = ("name", "url")
    ordering = ("-created_at",)
    fields = (
        "name",
        "url",
        "events",
        "is_active",
        "secret",
        "created_by",
        "created_at",
    )
    # The secret is made when the subscription is; the receiver copies it
    # from here to check signatures. Who created it is a fact.
    readonly_fields = ("secret", "created_by", "created_at")
    current_user_fields = ("created_by",)

    @kingadmin.display(description=_("events"))
    def event_names(self, obj):
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            # An address typed without a scheme is taken as https.
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        subscription_save(subscription=obj, by=request.user)


@kingadmin.register(WebhookDelivery)
class WebhookDeliveryAdmin(kingadmin.ReadOnlyModelAdmin):
    """Each event sent to each subscription: its state, attempts and last answer."""

    list_display = (
        "subscription",
        "event",
        "state",
        "attempts",
        "status_code",
        "created_at",
        "delivered_at",
    )
    list_filter = ("state", "event", "subscription")
    list_select_related = ("subscription",)
    ordering = ("-created_at",)
    actions = ("redeliver",)

    @kingadmin.action(description=_("Redeliver the selected failed deliveries"))
    def redeliver(self, request, queryset):
        queued = deliveries_redeliver(deliveries=queryset)
        messages.success(
            request,
            ngettext(
                "%(count)d failed delivery was queued again.",
                "%(count)d failed deliveries were queued again.",
                queued,
            )
            % {"count": queued},
        )

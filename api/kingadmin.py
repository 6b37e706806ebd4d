"""Every user's API tokens, for administrators: who may call the API, and revoking."""

from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import kingadmin
from api.models import ApiToken
from api.tokens import api_token_revoke


@kingadmin.register(ApiToken)
class ApiTokenAdmin(kingadmin.ReadOnlyModelAdmin):
    """Tokens are made on the tokens page (shown once there); listed, revoked here."""

    list_display = (
        "name",
        "user",
        "key",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("user", "created_at", "expires_at", "revoked_at")
    search_fields = ("name", "=key")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    exclude = ("digest",)
    actions = ("revoke",)

    def get_readonly_fields(self, request, obj=None):
        return tuple(
            f for f in super().get_readonly_fields(request, obj) if f != "digest"
        )

    @kingadmin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        messages.success(
            request,
            ngettext(
                "%(count)d token was revoked.", "%(count)d tokens were revoked.", count
            )
            % {"count": count},
        )

"""Personal API tokens: shown once, stored hashed, with an expiry and a last use."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A key a program uses to call the API as ``user`` (``Authorization: Bearer``).

    The token is ``<PREFIX><key>_<secret>``: ``key`` finds the row (indexed),
    the secret is checked against ``digest`` (SHA-256; see api.tokens).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for.")
    )
    key = models.CharField(_("key"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="apitoken_user_idx"),
            models.Index(fields=["-created_at"], name="apitoken_created_idx"),
            models.Index(fields=["expires_at"], name="apitoken_expires_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.key})"

    @property
    def is_active(self) -> bool:
        """Return True while the token works: not revoked, not expired."""
        return self.revoked_at is None and self.expires_at > timezone.now()

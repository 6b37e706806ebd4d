"""What kingadmin stores: the history of changes made through it."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeLog(models.Model):
    """One add, change or delete made through kingadmin, with field changes."""

    class Action(models.TextChoices):
        ADDITION = "add", _("Added")
        CHANGE = "change", _("Changed")
        DELETION = "delete", _("Deleted")

    action_time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("content type"), on_delete=models.CASCADE
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=8, choices=Action)
    # [{"field": name, "label": verbose name, "old": text, "new": text}, ...]
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        ordering = ["-action_time", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-action_time"],
                name="changelog_object_idx",
            ),
            models.Index(fields=["user", "-action_time"], name="changelog_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

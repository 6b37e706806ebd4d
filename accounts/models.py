"""Users, roles and the menus roles give (user -> roles -> menus)."""

from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractUser, Permission
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


def is_site_path(url: str) -> bool:
    r"""Return True if ``url`` is a path of this site, e.g. ``/crm/?mine=1``.

    It must start with one "/" and name no scheme or host (``urlsplit``), and
    it may hold no backslash (browsers read "/\evil.example" as
    "//evil.example"), no "//" anywhere, no whitespace and no control or
    invisible characters (browsers drop tabs and newlines, so "/<tab>/evil"
    would leave the site too). Django's ``url_has_allowed_host_and_scheme``,
    with no host allowed, must agree.
    """
    if not url.startswith("/") or "\\" in url or "//" in url:
        return False
    if any(char.isspace() or not char.isprintable() for char in url):
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)


class Menu(models.Model):
    """An entry of the left navigation; roles decide who sees it."""

    class UrlType(models.TextChoices):
        URL_NAME = "name", _("URL name")
        ABSOLUTE = "absolute", _("Absolute URL")

    name = models.CharField(_("name"), max_length=64, unique=True)
    url_type = models.CharField(
        _("URL type"), max_length=10, choices=UrlType, default=UrlType.URL_NAME
    )
    url = models.CharField(
        _("URL"),
        max_length=255,
        blank=True,
        help_text=_(
            "A URL name such as 'teacher:class_list', or a path such as '/admin/'. "
            "Leave empty for a group heading."
        ),
    )
    icon = models.CharField(
        _("icon"), max_length=40, blank=True, help_text=_("A Bootstrap icon name.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent menu"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )

    class Meta:
        verbose_name = _("menu")
        verbose_name_plural = _("menus")
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["order", "id"], name="menu_order_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.parent_id is not None:
            if self.parent_id == self.pk:
                errors["parent"] = _("A menu cannot be its own parent.")
            elif self.parent.parent_id is not None:
                errors["parent"] = _("Menus have one level of sub-menus only.")
        if self.url:
            if self.url_type == self.UrlType.URL_NAME:
                try:
                    reverse(self.url)
                except NoReverseMatch:
                    errors["url"] = _(
                        "'%(url)s' is not the name of a page of this site."
                    ) % {"url": self.url}
            elif not is_site_path(self.url):
                errors["url"] = _(
                    "An absolute URL must be a path of this site starting with a "
                    "single '/', without a host, backslashes, '//', spaces or "
                    "control characters."
                )
        if errors:
            raise ValidationError(errors)

    def resolve_url(self) -> str | None:
        """Return the path this menu links to, or None when it cannot be built.

        An absolute URL that is not a path of this site (stored before
        ``clean`` refused such URLs) gives None: it is never rendered as a
        link nor redirected to after login.
        """
        if not self.url:
            return None
        if self.url_type == self.UrlType.ABSOLUTE:
            return self.url if is_site_path(self.url) else None
        try:
            return reverse(self.url)
        except NoReverseMatch:
            return None


class Role(models.Model):
    """A named bundle of menus and permissions, assigned to users."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    menus = models.ManyToManyField(
        Menu, verbose_name=_("menus"), blank=True, related_name="roles"
    )
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="roles"
    )
    home = models.ForeignKey(
        Menu,
        verbose_name=_("home page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Where users of this role land after logging in."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member, teacher or student who can log in."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    campus = models.ForeignKey(
        "crm.Branch",
        verbose_name=_("campus"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    roles = models.ManyToManyField(
        Role, verbose_name=_("roles"), blank=True, related_name="users"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class MenuStamp(models.Model):
    """One row whose value changes whenever anybody's menu may have changed.

    A request loads it with its user (a scalar subquery of the user's query,
    ``RoleBackend.get_user``); the session keeps the user's menu rows with
    the stamp they were read under and reads them again only when the stamp
    moved (``accounts.selectors.user_menu``). Menus, a role's menus and a
    user's roles move it (``accounts.signals``). A stale menu could only show
    or hide a link: every page decides access itself.
    """

    value = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("menu stamp")
        verbose_name_plural = _("menu stamps")

    def __str__(self) -> str:
        return self.value


class Notification(models.Model):
    """An in-app message to one user (duplicate lead, new submission, answer...)."""

    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=500, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "is_read", "-created_at"],
                name="notification_inbox_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(link__startswith="//")
                & (models.Q(link="") | models.Q(link__startswith="/")),
                name="notification_link_is_local",
            )
        ]

    def __str__(self) -> str:
        return self.text

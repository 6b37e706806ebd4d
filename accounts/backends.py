"""Authentication backend that grants users the permissions of their roles.

Every request loads its user once (``get_user``); what each page needs of
that user rides on the same query as scalar subqueries, so a page pays no
query per header item: the permission names (direct and by role), the
unread notifications count and the menu stamp. They are read in that
request, never cached across requests, so a revoked permission is gone on
the next page.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Concat

from kingadmin.compiled import CompiledQuery

UNREAD = "unread_notifications_count"
MENU_STAMP = "menu_stamp"
DIRECT_PERMS = "_direct_permission_names"
ROLE_PERMS = "_role_permission_names"
PERM_SEPARATOR = ","  # codenames and app labels are identifiers: never a comma


class PermissionNames(Aggregate):
    """Aggregate "app_label.codename" strings into one comma-separated text."""

    function = "GROUP_CONCAT"  # SQLite's; its default separator is a comma
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template=f"%(function)s(%(expressions)s, '{PERM_SEPARATOR}')",
            **extra_context,
        )


def _permission_names(user_path: str) -> Subquery:
    """Return the names of the permissions reached by ``user_path``, per user."""
    name = Concat(
        "content_type__app_label", Value("."), "codename", output_field=CharField()
    )
    return Subquery(
        Permission.objects.filter(**{user_path: OuterRef("pk")})
        .order_by()
        .values(user_path)
        .annotate(names=PermissionNames(name))
        .values("names")
    )


def _names(text: str | None) -> set[str]:
    return set(text.split(PERM_SEPARATOR)) if text else set()


class RoleBackend(ModelBackend):
    """ModelBackend whose "group" permissions come from the user's roles.

    Roles replace Django groups in this project: an admin grants permissions to
    roles in the UI, and ``user.has_perm`` sees them.
    """

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj)

    def get_all_permissions(self, user_obj, obj=None):
        """Return the user's permissions, direct and by role.

        A user loaded by ``get_user`` carries them; another costs one query.
        """
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                user_obj._perm_cache = super().get_all_permissions(user_obj)
            elif hasattr(user_obj, ROLE_PERMS):
                user_obj._perm_cache = _names(getattr(user_obj, DIRECT_PERMS)) | (
                    _names(getattr(user_obj, ROLE_PERMS))
                )
            else:
                fields = ("content_type__app_label", "codename")
                direct = Permission.objects.filter(user=user_obj).values_list(*fields)
                by_role = self._get_group_permissions(user_obj).values_list(*fields)
                perms = direct.order_by().union(by_role.order_by())
                user_obj._perm_cache = {f"{app}.{code}" for app, code in perms}
        return user_obj._perm_cache

    def get_user(self, user_id):
        """Return the active user ``user_id`` with what every page needs of them.

        Its permission names, unread notifications count and the menu stamp
        (``accounts.selectors.unread_count`` and ``user_menu`` read the last
        two) come in the same query.
        """
        user_model = get_user_model()
        try:
            user_id = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        rows = _USER.rows(using=user_model.objects.db, pk=user_id)
        user = _user_from_row(user_model, rows[0]) if rows else None
        if user is None or not self.user_can_authenticate(user):
            return None
        return user


EXTRAS = (UNREAD, MENU_STAMP, DIRECT_PERMS, ROLE_PERMS)


def _user_row(pk):
    """Return the user ``pk``'s row and, as extra columns, what pages need.

    Building and compiling this query (four subqueries) costs 4 ms of CPU,
    running it a twentieth of that: it is compiled once per process and
    database (``_USER``), and each request runs it with its user's id.
    """
    from accounts.models import MenuStamp, Notification

    user_model = get_user_model()
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), is_read=False)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        user_model._default_manager.annotate(
            **{
                UNREAD: Coalesce(
                    Subquery(unread, output_field=IntegerField()), Value(0)
                ),
                MENU_STAMP: Subquery(MenuStamp.objects.values("value")[:1]),
                DIRECT_PERMS: _permission_names("user"),
                ROLE_PERMS: _permission_names("roles__users"),
            }
        )
        .filter(pk=pk)
        .order_by()
        .values(*_attnames(user_model), *EXTRAS)[:1]
    )


_USER = CompiledQuery(_user_row)


def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _user_from_row(user_model, row: dict):
    """Return the user of ``_user_row``'s row, its extras as attributes."""
    names = _attnames(user_model)
    user = user_model.from_db(
        user_model.objects.db, names, [row[name] for name in names]
    )
    for name in EXTRAS:
        setattr(user, name, row[name])
    return user

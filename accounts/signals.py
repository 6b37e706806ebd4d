"""Receivers that keep cached menus in step with menus, roles and users."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Menu, Role, User
from accounts.services import menu_stamp_bump


def _menus_changed(sender, **kwargs):
    if kwargs.get("action", "post_").startswith("post_"):
        menu_stamp_bump()


def connect() -> None:
    """Connect the receivers (``AccountsConfig.ready``)."""
    for model in (Menu, Role):
        post_save.connect(_menus_changed, sender=model, dispatch_uid=f"menus-{model}")
        post_delete.connect(
            _menus_changed, sender=model, dispatch_uid=f"menus-del-{model}"
        )
    for through in (Role.menus.through, User.roles.through):
        m2m_changed.connect(
            _menus_changed, sender=through, dispatch_uid=f"menus-m2m-{through}"
        )

"""Authentication backend that grants users the permissions of their roles."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """ModelBackend whose "group" permissions come from the user's roles.

    Roles replace Django groups in this project: an admin grants permissions to
    roles in the UI, and ``user.has_perm`` sees them.
    """

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj)

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import user_menu


def navigation(request: HttpRequest) -> dict:
    """Put the current user's menu tree in every page (built only if used)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_menu": []}
    return {
        "nav_menu": SimpleLazyObject(lambda: user_menu(user=user, path=request.path))
    }

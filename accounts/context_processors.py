from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import menu_html, unread_count, user_menu


def navigation(request: HttpRequest) -> dict:
    """Put the user's menu tree (built only if used) and unread count in pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_menu": [], "nav_menu_html": "", "unread_notifications": 0}
    return {
        "nav_menu": SimpleLazyObject(
            lambda: user_menu(
                user=user,
                path=request.get_full_path(),
                session=getattr(request, "session", None),
            )
        ),
        # The same menu rendered, from the per-process cache (base.html).
        "nav_menu_html": SimpleLazyObject(lambda: menu_html(request)),
        "unread_notifications": unread_count(user=user),
        # The user menu's "API tokens" entry (api.token_views), when allowed.
        "api_tokens_allowed": SimpleLazyObject(
            lambda: (
                user.has_perm("api.use_api") or user.has_perm("api.manage_api_tokens")
            )
        ),
    }

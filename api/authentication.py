"""Who calls: a personal API token (``Authorization: Bearer kc_...``) or the session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.tokens import api_token_check


class TokenAuthentication(authentication.BaseAuthentication):
    """Authenticate by a personal API token (api.tokens); ``request.auth`` is it."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header is “Bearer” and the token, nothing else.")
            )
        try:
            text = parts[1].decode("ascii")
        except UnicodeDecodeError:
            text = ""
        token = api_token_check(text)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is unknown, expired or revoked.")
            )
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

"""API tokens: created (the secret shown once), checked, revoked.

A token is ``kc_<key>_<secret>``: 8 random hex characters to find its row by
an index, then 32 random bytes (URL-safe base64) checked against a SHA-256
digest. The secret is random and long, not a password a person chose, so a
fast hash is as safe as a slow one here and keeps each API call cheap (no
PBKDF2 or Argon2 per request); the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken

PREFIX = "kc_"
# How long a token may live, in days (the choices of the forms).
LIFETIMES = (30, 90, 365)
# "Last used" is written at most this often per token (not a write per call).
LAST_USED_STEP = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str, days: int, by) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and its text (shown once, not stored)."""
    if days not in LIFETIMES:
        raise ValidationError({"days": _("Choose how long the token lives.")})
    if not user.is_active:
        raise ValidationError({"user": _("This account is disabled.")})
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        key=secrets.token_hex(4),
        digest=_digest(secret),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean(exclude=["user", "created_by"])
    token.save()
    return token, f"{PREFIX}{token.key}_{secret}"


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token`` at once (revoking twice keeps the first time)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_check(text: str) -> ApiToken | None:
    """Return the working token ``text`` names, or None (unknown, wrong, expired).

    Also records when it was last used (at most once a minute).
    """
    if not text.startswith(PREFIX) or len(text) > 100:
        return None
    key, _sep, secret = text[len(PREFIX) :].partition("_")
    if not key or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(key=key).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    if not token.is_active or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""Django's database sessions, each page's read with SQL compiled once.

``SESSION_ENGINE = "accounts.sessions"`` (without Redis; with it, Django's
``cached_db``). Every page reads its session: building and compiling that
query with the ORM cost as much CPU as the rest of loading the user. The
query is the ORM's own, compiled once per process and database
(:class:`kingadmin.compiled.CompiledQuery`); each page runs it with its key
and the current time. Writing, creating and deleting sessions are Django's.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from kingadmin.compiled import CompiledQuery

_SESSION_DATA = CompiledQuery(
    lambda key, now: Session.objects.filter(
        session_key=key, expire_date__gt=now
    ).values("session_data")
)


class SessionStore(db.SessionStore):
    """Django's database session store; ``load()`` runs a compiled query."""

    def load(self):
        """Return the session's data, {} (and no key) if none or expired."""
        key = self.session_key
        if key is None:
            return {}
        rows = _SESSION_DATA.rows(
            using=router.db_for_read(self.model), key=key, now=timezone.now()
        )
        if not rows:
            self._session_key = None
            return {}
        return self.decode(rows[0]["session_data"])

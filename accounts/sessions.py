"""Django's database sessions, each page's read with SQL compiled once.

``SESSION_ENGINE = "accounts.sessions"`` (without Redis; with it, Django's
``cached_db``). Every page reads its session: building and compiling that
query with the ORM cost as much CPU as the rest of loading the user. The
query is the ORM's own, compiled once per process and database with
stand-in values; each page runs it with its key and the current time,
adapted as the ORM adapts them. Writing, creating and deleting sessions are
Django's.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

_QUERIES: dict[str, tuple[str, list, int, int]] = {}
_ANY_KEY = "accounts-sessions-any-key"


class SessionStore(db.SessionStore):
    """Django's database session store; ``load()`` runs a compiled query."""

    def load(self):
        """Return the session's data, {} (and no key) if none or expired."""
        key = self.session_key
        if key is None:
            return {}
        connection = connections[router.db_for_read(self.model)]
        sql, params, key_at, now_at = self._query(connection)
        params = list(params)
        params[key_at] = key
        params[now_at] = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

    def _query(self, connection) -> tuple[str, list, int, int]:
        cached = _QUERIES.get(connection.alias)
        if cached is None:
            moment = timezone.now()
            query = self.model.objects.filter(
                session_key=_ANY_KEY, expire_date__gt=moment
            ).values_list("session_data")
            sql, params = query.query.sql_with_params()
            adapted = connection.ops.adapt_datetimefield_value(moment)
            params = list(params)
            cached = (sql, params, params.index(_ANY_KEY), params.index(adapted))
            _QUERIES[connection.alias] = cached
        return cached

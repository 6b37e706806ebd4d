"""Querysets the ORM builds and compiles once per process, run with new values.

Building a queryset (``filter``, ``annotate``, ``Count(filter=Q(...))``) and
compiling it to SQL is pure CPU, and for a page of aggregate queries it
costs as much as the database's work: the sales report's seven queries cost
the ORM 12 ms a page on top of 50 ms of SQL. A :class:`CompiledQuery`
builds its queryset with stand-in values, lets the ORM compile it once per
process, database and *shape* (which values are None, how long each tuple
is), and remembers where each stand-in landed in the parameters. Each run
puts the real values there, adapted as the ORM adapts them, executes the
ORM's own SQL and applies the ORM's own converters to the rows.

Values may be dates, aware datetimes, integers, strings, None (the build
leaves that filter out: a different shape) or tuples of those. A stand-in the
ORM transforms (``__contains`` wraps it in ``%``), drops or repeats in
another form cannot be found in the parameters: compiling then raises
``ImproperlyConfigured`` rather than running a query with a stand-in in it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Stand-ins no real value equals: a negative id beyond any sequence, a
# string no one types, days and instants in the year 1001.
_INT_BASE = -7_312_591_046_000
_TEXT_PREFIX = "kingadmin-compiled-stand-in-"
_MOMENT_BASE = datetime(1001, 1, 1, tzinfo=UTC)


class CompiledQuery:
    """A queryset built by ``build(**values)``, compiled once per shape.

    ``build`` receives every value by keyword (None where the caller's is
    None) and returns a ``values()`` queryset; :meth:`rows` returns its
    rows as dicts, as iterating it would.
    """

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[tuple, _Compiled] = {}

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list[dict]:
        """Return the rows of the queryset built from ``values``."""
        connection = connections[using]
        key = (using, *((name, _shape(value)) for name, value in values.items()))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(connection, values)
        return compiled.rows(connection, values)

    def _compile(self, connection, values: dict) -> _Compiled:
        counter = itertools.count(1)
        stand_ins = {name: _stand_in(value, counter) for name, value in values.items()}
        try:
            query = self.build(**stand_ins).query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
        except (ArithmeticError, TypeError, ValueError) as error:
            # A lookup that computes with its value (__year) met a stand-in.
            raise ImproperlyConfigured(
                f"{self.build.__qualname__}: building it with stand-in values "
                f"failed ({error}); this query cannot be compiled once."
            ) from error
        if not query.values_select and not query.annotation_select:
            raise ImproperlyConfigured(
                f"{self.build.__qualname__} must return a values() queryset."
            )
        slots = _slots(connection, stand_ins, params)
        found = {slot[1:] for slot in slots}
        wanted = _wanted(connection, stand_ins).values()
        missing = [slot for slot in wanted if slot not in found]
        if missing:
            raise ImproperlyConfigured(
                f"{self.build.__qualname__}: the values {missing} do not "
                "reach the SQL as they are; this query cannot be compiled once."
            )
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return _Compiled(compiler, sql, list(params), slots, names)


class _Compiled:
    # Shared by the threads of a process: running it reads the compiler
    # (its select list and converters, the database backend's functions of
    # the connection it was compiled on) and changes nothing in it.
    def __init__(self, compiler, sql: str, params: list, slots: list, names: list):
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.slots = slots
        self.names = names

    def rows(self, connection, values: dict) -> list[dict]:
        params = list(self.params)
        for index, name, place in self.slots:
            value = values[name] if place is None else values[name][place]
            params[index] = _adapt(connection, value)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        if self.compiler.has_extra_select:
            # Columns the ORDER BY needs, after the selected ones (as
            # SQLCompiler.execute_sql leaves them out).
            fetched = [row[: self.compiler.col_count] for row in fetched]
        names = self.names
        return [
            dict(zip(names, row, strict=True))
            for row in self.compiler.results_iter(results=[fetched])
        ]


def _wanted(connection, stand_ins: dict) -> dict:
    """Return each stand-in as sent to the database: (value name, tuple index)."""
    wanted = {}
    for name, stand_in in stand_ins.items():
        if isinstance(stand_in, tuple):
            for n, item in enumerate(stand_in):
                if item is not None:
                    wanted[_adapt(connection, item)] = (name, n)
        elif stand_in is not None:
            wanted[_adapt(connection, stand_in)] = (name, None)
    return wanted


def _slots(connection, stand_ins: dict, params) -> list[tuple]:
    """Return (parameter index, value name, tuple index) of each stand-in met."""
    wanted = _wanted(connection, stand_ins)
    slots = []
    for index, param in enumerate(params):
        try:
            slot = wanted.get(param)
        except TypeError:  # An unhashable parameter: not a stand-in.
            continue
        if slot is not None:
            slots.append((index, *slot))
    return slots


def _shape(value):
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return tuple(_shape(item) for item in value)
    if isinstance(value, datetime) and settings.USE_TZ and value.tzinfo is None:
        # The ORM would make it aware in the current time zone, with a
        # warning; the adaptation here would read it as UTC.
        raise TypeError("A compiled query takes aware datetimes only.")
    if isinstance(value, date | int | str) and not isinstance(value, bool):
        return type(value)
    raise TypeError(
        f"A compiled query takes dates, datetimes, integers, strings, None or "
        f"tuples of them, not {type(value).__name__}."
    )


def _stand_in(value, counter):
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return tuple(_stand_in(item, counter) for item in value)
    n = next(counter)
    if isinstance(value, datetime):
        return _MOMENT_BASE + timedelta(minutes=n)
    if isinstance(value, date):
        return _MOMENT_BASE.date() + timedelta(days=n)
    if isinstance(value, int):
        return _INT_BASE - n
    return f"{_TEXT_PREFIX}{n}"


def _adapt(connection, value):
    """Return ``value`` as the ORM sends it (a Date(Time)Field's adaptation)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value

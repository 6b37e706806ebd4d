"""Enqueueing a job as part of the current transaction.

``enqueue_on_commit`` is how services start jobs. With the database backend
(production, on SQLite or PostgreSQL) the job's row is written in the
caller's transaction: it exists if and only if the action committed (a
transactional outbox; nothing is lost between the commit and the enqueue).
Any other backend (the tests' immediate backend) enqueues once the
transaction commits, so a rolled-back action starts nothing either.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_on_commit(declared, *args, **kwargs) -> None:
    """Enqueue ``declared`` with these arguments when the transaction commits."""
    if isinstance(declared.get_backend(), DatabaseBackend):
        declared.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(declared.enqueue, *args, **kwargs))

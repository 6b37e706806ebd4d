"""Running fuzz examples: isolated from each other, logged in, bounded."""

import os
from contextlib import contextmanager

from django.db import models, transaction
from django.test import Client
from hypothesis import settings

from accounts.models import User


def fuzz_settings(max_examples: int, **overrides) -> settings:
    """Return the ``fuzz`` profile with ``max_examples`` (times ``FUZZ_SCALE``)."""
    scale = float(os.environ.get("FUZZ_SCALE", "1"))
    return settings(
        settings.get_profile("fuzz"),
        max_examples=max(1, round(max_examples * scale)),
        **overrides,
    )


@contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_for(user: User | None) -> Client:
    """Return a test client logged in as ``user`` that re-raises server errors.

    Created per example: a view that cycles the session (login, password
    change) cannot leave the next example logged out.
    """
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    return client


def snapshot(obj: models.Model) -> dict:
    """Return the stored values of ``obj``, many-to-many ids included."""
    obj = type(obj)._default_manager.get(pk=obj.pk)
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for field in obj._meta.many_to_many:
        values[field.name] = sorted(
            getattr(obj, field.name).values_list("pk", flat=True)
        )
    return values

"""Recording and reading the history of objects changed through kingadmin."""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db import models

from kingadmin.formatting import text_for_field
from kingadmin.models import ChangeLog

# Secrets: the history says that they changed, never what they are.
SECRET_FIELDS = frozenset({"password", "token_hash"})
HIDDEN = "••••••"


def _fields(obj: models.Model, names=None):
    opts = obj._meta
    fields = [
        f
        for f in (*opts.concrete_fields, *opts.many_to_many)
        if not f.auto_created and f.editable
    ]
    if names is not None:
        wanted = set(names)
        fields = [f for f in fields if f.name in wanted]
    return fields


def snapshot(obj: models.Model | None, names=None) -> dict[str, str]:
    """Return the displayed text of ``obj``'s fields (all or ``names``) by name."""
    if obj is None or obj.pk is None:
        return {}
    return {f.name: _text(obj, f) for f in _fields(obj, names)}


def _text(obj, field) -> str:
    if field.name in SECRET_FIELDS:
        # A digest of the secret: enough to see that it changed, useless to
        # anyone reading the history.
        value = str(getattr(obj, field.attname) or "")
        return hashlib.sha256(value.encode()).hexdigest() if value else ""
    return text_for_field(obj, field)


def _entry(user, obj, action, changes) -> ChangeLog:
    return ChangeLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        changes=changes,
    )


def log_addition(user, obj: models.Model) -> ChangeLog:
    """Record that ``user`` added ``obj``, with its initial field values."""
    changes = [
        {"field": f.name, "label": str(f.verbose_name), "old": "", "new": text}
        for f in _fields(obj)
        if f.name not in SECRET_FIELDS and (text := text_for_field(obj, f)) != ""
    ]
    return _entry(user, obj, ChangeLog.Action.ADDITION, changes)


def log_change(
    user, obj: models.Model, before: dict[str, str], changed_names
) -> ChangeLog:
    """Record which fields of ``obj`` ``user`` changed, from what to what."""
    after = snapshot(obj, changed_names)
    labels = {f.name: str(f.verbose_name) for f in _fields(obj, changed_names)}
    changes = [
        {
            "field": name,
            "label": labels[name],
            "old": HIDDEN if name in SECRET_FIELDS else before.get(name, ""),
            "new": HIDDEN if name in SECRET_FIELDS else after[name],
        }
        for name in changed_names
        if name in after and before.get(name, "") != after[name]
    ]
    return _entry(user, obj, ChangeLog.Action.CHANGE, changes)


def log_deletion(user, obj: models.Model) -> ChangeLog:
    """Record that ``user`` deleted ``obj`` (call before deleting)."""
    changes = [
        {"field": f.name, "label": str(f.verbose_name), "old": text, "new": ""}
        for f in _fields(obj)
        if f.name not in SECRET_FIELDS and (text := text_for_field(obj, f)) != ""
    ]
    return _entry(user, obj, ChangeLog.Action.DELETION, changes)


def history_for(obj: models.Model):
    """Return the change log of ``obj``, newest first, with users loaded."""
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
    ).select_related("user")

"""Contract templates: ``{{ placeholder }}`` substitution with a fixed vocabulary.

Templates are written by admins, so they are not Django templates: only the
placeholders below can be used, nothing can reach into objects, and every
value is inserted as plain text (templates render it escaped).
"""

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = (
    "customer",
    "id_number",
    "course",
    "class",
    "campus",
    "price",
    "start_date",
    "date",
)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def validate_contract_template(text: str) -> None:
    """Raise ValidationError naming every unknown placeholder in ``text``."""
    unknown = sorted(
        {m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(PLACEHOLDERS)
    )
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s): %(names)s. Allowed: %(allowed)s."),
            code="unknown_placeholder",
            params={"names": ", ".join(unknown), "allowed": ", ".join(PLACEHOLDERS)},
        )


def render_contract(text: str, values: Mapping[str, object]) -> str:
    """Return ``text`` with each known placeholder replaced by its value."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        return str(values.get(name, ""))

    return _PLACEHOLDER.sub(replace, text)

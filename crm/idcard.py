"""Validation of PRC resident identity card numbers (GB 11643-1999).

An 18-character number is laid out as::

    110101 19900307 123 4
    region birth    seq check

The check character is ISO 7064 MOD 11-2 over the first 17 digits, so a single
mistyped digit or two swapped neighbours are caught before the number reaches a
contract.
"""

import datetime
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")
_WHITESPACE = re.compile(r"\s+")
_EARLIEST_BIRTH_YEAR = 1900


def _invalid(message) -> ValidationError:
    return ValidationError(message, code="invalid_id_number")


def _today() -> datetime.date:
    # localdate() refuses to work without USE_TZ; the birth date is a calendar
    # date in China either way.
    return timezone.localdate() if settings.USE_TZ else datetime.date.today()


def _check_character(body: str) -> str:
    """Return the GB 11643-1999 check character for a 17-digit ``body``."""
    total = sum(
        int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True)
    )
    return _CHECK_CHARACTERS[total % 11]


def validate_prc_id_number(value: str) -> str:
    """Return the normalised 18-character ID number; raise ValidationError.

    Spaces are dropped, full-width characters (１１０１…, ｘ) folded to ASCII and a
    final lower-case ``x`` upper-cased.
    """
    folded = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(value)))
    if folded[-1:] == "x":
        folded = folded[:-1] + "X"
    if not _SHAPE.fullmatch(folded):
        raise _invalid(
            _(
                "Enter a valid ID number: 18 characters, 17 digits followed by a "
                "digit or X."
            )
        )
    try:
        birth = datetime.date(int(folded[6:10]), int(folded[10:12]), int(folded[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < _EARLIEST_BIRTH_YEAR or birth > _today():
        raise _invalid(
            _(
                "The ID number does not contain a valid date of birth "
                "(characters 7 to 14, YYYYMMDD)."
            )
        )
    if _check_character(folded[:17]) != folded[17]:
        raise _invalid(
            _(
                "The ID number’s last character does not match the others; "
                "check it for typing mistakes."
            )
        )
    return folded


def validate_id_number(value: str) -> None:
    """Validate a PRC ID number; usable in a field's ``validators=[...]``."""
    validate_prc_id_number(value)

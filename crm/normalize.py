"""Normalisation of the identifiers a lead is recognised by (QQ and phone).

Sales type numbers however they were given: with spaces, dashes, dots,
brackets, full-width digits (１３８), a ``+86`` / ``0086`` country prefix.
Both numbers are stored in one canonical form so that the database's unique
constraints catch duplicates however the number was typed.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Characters people put between digit groups.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()\[\]/]+")
_QQ = re.compile(r"[1-9][0-9]{4,11}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")


def _fold(value: str) -> str:
    # NFKC turns full-width digits and symbols (１３８－) into ASCII ones.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).strip()


def normalize_qq(value: str | None) -> str | None:
    """Return the canonical QQ number, None when empty; raise ValidationError."""
    if value is None:
        return None
    folded = _fold(str(value))
    if folded == "":
        return None
    if not _QQ.fullmatch(folded):
        raise ValidationError(
            _("Enter a valid QQ number: 5 to 12 digits, not starting with 0."),
            code="invalid_qq",
        )
    return folded


def normalize_phone(value: str | None) -> str | None:
    """Return the canonical phone number, None when empty; raise ValidationError.

    Mobile numbers become their 11 digits; landlines keep their area code
    (``010-1234 5678`` -> ``01012345678``). A +86 / 0086 / 86 prefix in front of
    a mobile number is dropped.
    """
    if value is None:
        return None
    folded = _fold(str(value))
    if folded == "":
        return None
    if folded.startswith("+"):
        folded = folded[1:]
        if not folded.startswith("86"):
            raise ValidationError(
                _("Only mainland China numbers (+86) are accepted."),
                code="invalid_phone",
            )
    for prefix in ("0086", "86"):
        rest = folded[len(prefix) :]
        if folded.startswith(prefix) and (
            _MOBILE.fullmatch(rest) or _LANDLINE.fullmatch("0" + rest)
        ):
            folded = rest if _MOBILE.fullmatch(rest) else "0" + rest
            break
    if _MOBILE.fullmatch(folded) or _LANDLINE.fullmatch(folded):
        return folded
    raise ValidationError(
        _(
            "Enter a valid phone number: an 11-digit mobile number or a "
            "landline with its area code."
        ),
        code="invalid_phone",
    )

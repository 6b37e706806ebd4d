"""Model fields that store QQ and phone numbers in canonical form, ID numbers.

Normalisation happens in ``clean()`` (run by ``full_clean()`` and model
forms), not in ``to_python()``: Django also calls ``to_python()`` on lookup
values, where an unparsable search term must not raise.
"""

from django.db import models

from crm.normalize import normalize_phone, normalize_qq

# What people type ("+86 138-1234-5678") is longer than what is stored.
TYPED_MAX_LENGTH = 32


class _NumberField(models.CharField):
    def formfield(self, **kwargs):
        return super().formfield(**{"max_length": TYPED_MAX_LENGTH, **kwargs})


class QQNumberField(_NumberField):
    """A QQ number; ``full_clean()`` stores it normalised, empty as NULL."""

    def clean(self, value, model_instance):
        return super().clean(normalize_qq(value), model_instance)


class PhoneNumberField(_NumberField):
    """A phone number; ``full_clean()`` stores it normalised, empty as NULL."""

    def clean(self, value, model_instance):
        return super().clean(normalize_phone(value), model_instance)


class IDNumberField(models.CharField):
    """An identity-card number: personal data, shown masked (see crm.privacy).

    kingadmin masks every field with a ``mask()`` method in lists, exports,
    read-only displays and the history; the admin decides who sees it whole.
    """

    def mask(self, value) -> str:
        from crm.privacy import mask_id_number

        return mask_id_number(value)

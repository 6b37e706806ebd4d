"""Model fields that store QQ and phone numbers in canonical form.

Normalisation happens in ``clean()`` (run by ``full_clean()`` and model
forms), not in ``to_python()``: Django also calls ``to_python()`` on lookup
values, where an unparsable search term must not raise.
"""

from django.db import models

from crm.normalize import normalize_phone, normalize_qq


class QQNumberField(models.CharField):
    """A QQ number; ``full_clean()`` stores it normalised, empty as NULL."""

    def clean(self, value, model_instance):
        return super().clean(normalize_qq(value), model_instance)


class PhoneNumberField(models.CharField):
    """A phone number; ``full_clean()`` stores it normalised, empty as NULL."""

    def clean(self, value, model_instance):
        return super().clean(normalize_phone(value), model_instance)

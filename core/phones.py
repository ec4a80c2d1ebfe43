"""Phone numbers: one person's number written any way is one E.164 string."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

NON_DIGITS = re.compile(r"\D+")


def phone_normalise(raw: str, *, region: str = "AE") -> str:
    """`050 123 4567`, `+971501234567` and `00971 50 123 4567` all give `+971501234567`."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if text.startswith("00"):
        text = "+" + text[2:].lstrip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number we can read. Include the country code, "
                "for example +971 50 123 4567."
            )
            % {"value": raw},
            code="invalid_phone",
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number. Check the number of digits.")
            % {"value": raw},
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(value: str) -> str:
    """Digits only, for partial search: `+971 50 123` → `97150123`."""
    return NON_DIGITS.sub("", value or "")

"""An inquiry: what one message from a person says about them, as any channel delivers it (a
website form, Meta lead ads, an import row, the API, a person typing it in).
`lead_capture` (leads.services.intake) turns one into a lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.phones import phone_normalise
from leads import fields
from leads.models import Interest, Source


@dataclass
class Inquiry:
    """What one inquiry says about a person, as any source delivers it."""

    source: str
    full_name: str = ""
    phones: list[str] = field(default_factory=list)
    email: str = ""
    nationality: str = ""
    preferred_language: str = ""
    source_details: dict = field(default_factory=dict)
    interest: str = ""
    property_type: str = ""
    bedrooms: int | None = None
    communities: list[str] = field(default_factory=list)
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    budget_currency: str = ""
    message: str = ""


def inquiry_clean(inquiry: Inquiry, *, region: str) -> Inquiry:
    """Validate and normalise; raises ValidationError with one message per field."""
    errors: dict[str, list[str]] = {}
    phones: list[str] = []
    for raw in inquiry.phones:
        if not (raw or "").strip():
            continue
        try:
            normalised = phone_normalise(raw, region=region)
        except ValidationError as error:
            errors.setdefault("phones", []).extend(error.messages)
        else:
            if normalised not in phones:
                phones.append(normalised)
    email = (inquiry.email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(
                _("“%(value)s” is not a valid email address.") % {"value": inquiry.email}
            )
    if not phones and not email and "phones" not in errors and "email" not in errors:
        errors["__all__"] = [_("Give at least a phone number or an email address.")]
    if inquiry.source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    if inquiry.interest and inquiry.interest not in Interest.values:
        errors["interest"] = [_("Choose buy, rent or off-plan.")]
    if (
        inquiry.budget_min is not None
        and inquiry.budget_max is not None
        and inquiry.budget_min > inquiry.budget_max
    ):
        errors["budget_max"] = [_("The highest budget is below the lowest.")]
    if errors:
        raise ValidationError(errors)
    inquiry.phones = phones
    inquiry.email = email
    inquiry.full_name = " ".join((inquiry.full_name or "").split())[:150]
    return inquiry


# How a lead stores what an inquiry says, where it is more than the value as it came: codes in
# capitals, text cut to the column's length, no blank communities.
_STORED_AS = {
    "nationality": lambda value: value.upper()[:2],
    "preferred_language": lambda value: value[:5],
    "interest": lambda value: str(value or ""),
    "property_type": lambda value: value[:40],
    "communities": lambda value: [c.strip()[:80] for c in value if c.strip()],
    "budget_currency": lambda value: value.upper()[:3],
}


def inquiry_lead_values(inquiry: Inquiry) -> dict:
    """A new lead's details from a cleaned inquiry (`leads.fields.DETAILS`), as `lead_capture`
    stores them and an import stages them."""
    values = {}
    for spec in fields.DETAILS:
        value = getattr(inquiry, spec.name)
        stored_as = _STORED_AS.get(spec.name)
        if stored_as is not None:
            value = stored_as(value)
        elif isinstance(value, list):
            value = list(value)
        values[spec.name] = value
    return values

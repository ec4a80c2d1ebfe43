"""Small display helpers for lead templates."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
from django import template

from leads.forms import stage_label as _stage_label
from leads.models import PipelineStage, Source

register = template.Library()


@register.filter
def stage_label(stage: PipelineStage | None) -> str:
    return _stage_label(stage) if stage is not None else ""


@register.filter
def source_label(value: str) -> str:
    try:
        return Source(value).label
    except ValueError:
        return value


@register.filter
def phone_display(e164: str) -> str:
    """`+971501234567` → `+971 50 123 4567`, as people read it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def wa_digits(e164: str) -> str:
    """wa.me wants the full number in digits only, no plus and no leading zeros."""
    return "".join(c for c in e164 or "" if c.isdigit())


@register.filter
def money(value: Decimal | None) -> str:
    """Budgets at a glance: 850K, 1.2M."""
    if value is None:
        return ""
    amount = float(value)
    # K and M are how budgets are written in UAE listings in either language; the figure sits
    # in a left-to-right isolate, so it must not mix in words of the page's language.
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if amount >= 1_000:
        return f"{amount / 1_000:.0f}K"
    return f"{amount:,.0f}"


@register.simple_tag
def budget_range(lead) -> str:
    low, high = money(lead.budget_min), money(lead.budget_max)
    currency = lead.budget_currency or ""
    if low and high and low != high:
        text = f"{low}–{high}"
    else:
        text = high or low
    return f"{currency} {text}".strip() if text else ""


@register.filter
def initial(name: str) -> str:
    name = (name or "").strip()
    return name[:1].upper() if name else "?"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None

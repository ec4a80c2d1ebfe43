"""JSON in and out of the API, by hand: what a lead looks like, and checking what a client
sent before any service sees it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from leads.models import Lead

BUDGET_MAX = Decimal("1000000000000")
LIST_MAX = 20
SOURCE_DETAILS_MAX_KEYS = 30


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def lead_json(lead: Lead, *, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "full_name": lead.full_name,
        "phones": list(lead.phones),
        "email": lead.email,
        "nationality": lead.nationality,
        "preferred_language": lead.preferred_language,
        "source": lead.source,
        "source_details": lead.source_details,
        "interest": lead.interest,
        "property_type": lead.property_type,
        "bedrooms": lead.bedrooms,
        "communities": list(lead.communities),
        "budget_min": _decimal(lead.budget_min),
        "budget_max": _decimal(lead.budget_max),
        "budget_currency": lead.budget_currency,
        "stage": {"id": lead.stage_id, "name": lead.stage.name, "kind": lead.stage.kind},
        "lost_reason": lead.lost_reason,
        "assignee": (
            {"id": lead.assignee_id, "name": names.get(lead.assignee_id, "")}
            if lead.assignee_id
            else None
        ),
        "tags": list(lead.tags),
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "assigned_at": _iso(lead.assigned_at),
        "first_response_at": _iso(lead.first_response_at),
        "first_response_channel": lead.first_response_channel,
        "merged_into": lead.merged_into_id,
    }


class Payload:
    """Reads typed fields out of a client's JSON object, collecting every problem at once."""

    def __init__(self, data: dict[str, Any], *, allowed: Iterable[str]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}
        for name in data:
            if name not in allowed:
                self.error(name, _("Unknown field. Check its spelling in the API reference."))

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def has(self, name: str) -> bool:
        return name in self.data

    def text(
        self, name: str, *, max_length: int, default: str = "", multiline: bool = False
    ) -> str:
        value = self.data.get(name, default)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(name, _("Send text."))
            return default
        # Only free text keeps its line breaks; a name or an email on two lines is one line.
        value = value.strip() if multiline else " ".join(value.split())
        if len(value) > max_length:
            self.error(name, _("Keep this under %(limit)s characters.") % {"limit": max_length})
            return default
        return value

    def text_list(self, name: str, *, max_length: int, max_items: int = LIST_MAX) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.error(name, _("Send a list of text values."))
            return []
        if len(value) > max_items:
            self.error(name, _("Send at most %(count)s values.") % {"count": max_items})
            return []
        if any(len(item) > max_length for item in value):
            self.error(
                name, _("Keep each value under %(limit)s characters.") % {"limit": max_length}
            )
            return []
        return [" ".join(item.split()) for item in value if item.strip()]

    def integer(self, name: str, *, minimum: int, maximum: int) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, _("Send a whole number."))
            return None
        if not minimum <= value <= maximum:
            self.error(
                name,
                _("Send a number from %(minimum)s to %(maximum)s.")
                % {"minimum": minimum, "maximum": maximum},
            )
            return None
        return value

    def amount(self, name: str) -> Decimal | None:
        """A budget: a JSON number or a numeric string such as "1200000" or "1200000.50"."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.error(name, _("Send an amount such as 1200000."))
            return None
        try:
            amount = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            self.error(name, _("Send an amount such as 1200000."))
            return None
        if not amount.is_finite() or amount < 0 or amount >= BUDGET_MAX:
            self.error(name, _("Send an amount between 0 and 999,999,999,999."))
            return None
        return amount.quantize(Decimal("0.01"))

    def pattern(self, name: str, regex: str, message: str, *, transform: Callable = str) -> str:
        value = self.text(name, max_length=10)
        if value and not re.fullmatch(regex, value, flags=re.IGNORECASE):
            self.error(name, message)
            return ""
        return transform(value)

    def obj(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(name, _("Send an object of names and values."))
            return {}
        if len(value) > SOURCE_DETAILS_MAX_KEYS or not all(
            isinstance(v, str | int | float | bool) or v is None for v in value.values()
        ):
            self.error(
                name,
                _("Send at most %(count)s names with plain values (text, numbers, true/false).")
                % {"count": SOURCE_DETAILS_MAX_KEYS},
            )
            return {}
        return {str(k)[:60]: (v[:500] if isinstance(v, str) else v) for k, v in value.items()}

    def nullable_reference(self, name: str) -> tuple[bool, int | str | None]:
        """An id (number) or name (text), or null; the flag says whether it was sent."""
        if name not in self.data:
            return False, None
        value = self.data[name]
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return True, value
        if isinstance(value, str) and value.strip():
            return True, value.strip()
        self.error(name, _("Send an id, a name, or null."))
        return False, None

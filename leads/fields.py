"""The lead's fields, declared once.

`LEAD_FIELDS` says, for every column of `leads.models.Lead`, who reads or writes it: the REST
API (its `Lead` answer, `POST` and `PATCH`), every channel's inquiry (and so the import's
staging table), the CSV export of the lead list, the privacy export, and what a repeat inquiry
fills in. Each of those derives its list from here, and `leads/tests/test_fields.py` checks
that no model field is left out, so a new field is added to the model and here.

The order of `LEAD_FIELDS` is the order of the CSV export's columns and of the privacy
export's keys; the API answers in the model's order, as v1 published it.

Plain Python, importing nothing from Django: the benchmarks read it before Django is set up,
and every part of `leads` may import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a field holds, which says how its value becomes JSON or a CSV cell."""

    ID = "id"  # the lead's own id
    TEXT = "text"  # free text someone typed or sent: neutralised in a CSV cell
    CODE = "code"  # a value we chose or checked: a source, a country code, a channel
    PHONES = "phones"  # E.164 numbers, checked digits after a "+"
    TEXTS = "texts"  # a list of free text
    NUMBER = "number"  # a whole number
    AMOUNT = "amount"  # a Decimal
    MOMENT = "moment"  # an aware datetime
    OBJECT = "object"  # a JSON object
    STAGE = "stage"  # a foreign key to the pipeline stage
    MEMBER = "member"  # a foreign key to a team member
    LEAD = "lead"  # a foreign key to another lead


class Fill(StrEnum):
    """What a repeat inquiry of the same person does to the lead's value (imports fold
    repeats in a file by the same rule, and a merge takes the duplicate's value the same way)."""

    WHEN_EMPTY = "empty"  # taken when the lead's value is empty
    WHEN_UNSET = "unset"  # taken when the lead's value is None
    ADDED = "added"  # new items are added to the lead's list


@dataclass(frozen=True)
class LeadField:
    name: str
    kind: Kind
    null: bool = False
    # A detail of the person that an inquiry carries (`leads.inquiries.Inquiry`): every
    # channel fills it, an import stages it, the API takes it on POST and PATCH.
    detail: bool = False
    # Computed from other fields (phone digits, search grams): staged by an import, never
    # read or written on its own.
    derived: bool = False
    api_read: bool = True
    api_create: bool = False
    api_update: bool = False
    export: str | None = None  # the CSV export's column
    # The privacy export's key; fields that share a key are exported as one list.
    privacy: str | None = None
    fill: Fill | None = None

    @property
    def staged(self) -> bool:
        """A column of the import's staging table."""
        return self.detail or self.derived


def _detail(name: str, kind: Kind, **more: Any) -> LeadField:
    return LeadField(name, kind, detail=True, api_create=True, api_update=True, **more)


def _derived(name: str, kind: Kind) -> LeadField:
    return LeadField(name, kind, derived=True, api_read=False)


LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField("id", Kind.ID, export="id", privacy="id"),
    _detail("full_name", Kind.TEXT, export="name", privacy="name", fill=Fill.WHEN_EMPTY),
    _detail("phones", Kind.PHONES, export="phones", privacy="phones", fill=Fill.ADDED),
    _derived("phone_digits", Kind.CODE),
    _detail("email", Kind.TEXT, export="email", privacy="email", fill=Fill.WHEN_EMPTY),
    _detail("nationality", Kind.CODE, privacy="nationality", fill=Fill.WHEN_EMPTY),
    _detail("preferred_language", Kind.CODE, privacy="preferred_language", fill=Fill.WHEN_EMPTY),
    LeadField("source", Kind.CODE, export="source", privacy="source"),
    LeadField("source_details", Kind.OBJECT, api_create=True, privacy="source_details"),
    LeadField("stage", Kind.STAGE, api_update=True, export="stage"),
    LeadField("lost_reason", Kind.TEXT, api_update=True, export="lost_reason"),
    LeadField("assignee", Kind.MEMBER, null=True, api_update=True, export="assignee"),
    _detail("interest", Kind.CODE, export="interest", privacy="interest", fill=Fill.WHEN_EMPTY),
    _detail(
        "property_type",
        Kind.TEXT,
        export="property_type",
        privacy="property_type",
        fill=Fill.WHEN_EMPTY,
    ),
    _detail(
        "bedrooms",
        Kind.NUMBER,
        null=True,
        export="bedrooms",
        privacy="bedrooms",
        fill=Fill.WHEN_UNSET,
    ),
    _detail(
        "communities", Kind.TEXTS, export="communities", privacy="communities", fill=Fill.ADDED
    ),
    _detail(
        "budget_min",
        Kind.AMOUNT,
        null=True,
        export="budget_min",
        privacy="budget",
        fill=Fill.WHEN_UNSET,
    ),
    _detail(
        "budget_max",
        Kind.AMOUNT,
        null=True,
        export="budget_max",
        privacy="budget",
        fill=Fill.WHEN_UNSET,
    ),
    _detail(
        "budget_currency",
        Kind.CODE,
        export="budget_currency",
        privacy="budget",
        fill=Fill.WHEN_EMPTY,
    ),
    _derived("search_grams", Kind.TEXTS),
    LeadField("tags", Kind.TEXTS, api_create=True, api_update=True, export="tags", privacy="tags"),
    LeadField("created_at", Kind.MOMENT, export="created_at", privacy="created"),
    LeadField("updated_at", Kind.MOMENT),
    LeadField("assigned_at", Kind.MOMENT, null=True),
    LeadField("first_response_at", Kind.MOMENT, null=True),
    LeadField("first_response_channel", Kind.CODE),
    LeadField("merged_into", Kind.LEAD, null=True),
)

# Model fields no consumer reads. Empty today; a field listed here needs a reason.
INTERNAL_FIELDS: dict[str, str] = {}

FIELDS_BY_NAME = {field.name: field for field in LEAD_FIELDS}
DETAILS = tuple(f for f in LEAD_FIELDS if f.detail)
STAGED = tuple(f for f in LEAD_FIELDS if f.staged)
API_READ = tuple(f for f in LEAD_FIELDS if f.api_read)
API_CREATE = tuple(f for f in LEAD_FIELDS if f.api_create)
API_UPDATE = tuple(f for f in LEAD_FIELDS if f.api_update)
EXPORTED = tuple(f for f in LEAD_FIELDS if f.export)
EXPORT_COLUMNS = tuple(f.export for f in EXPORTED)
FILLED_WHEN_EMPTY = tuple(f.name for f in LEAD_FIELDS if f.fill is Fill.WHEN_EMPTY)
FILLED_WHEN_UNSET = tuple(f.name for f in LEAD_FIELDS if f.fill is Fill.WHEN_UNSET)


# --- values as text ---------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Spreadsheets run a cell that starts like a formula; a lead's name must never do that."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _foreign_id(lead: Any, field: LeadField) -> int | None:
    return getattr(lead, f"{field.name}_id")


def csv_value(field: LeadField, lead: Any, names: Mapping[int, str]) -> str:
    """A field of `lead` as a CSV cell. `names`: each assignee's display name, by id.

    Free text is neutralised (`csv_safe`); values we checked or produced (codes, numbers,
    amounts, moments, E.164 phones, which start with "+") are written as they are."""
    kind = field.kind
    if kind is Kind.STAGE:
        return csv_safe(getattr(lead, field.name).name)
    if kind is Kind.MEMBER:
        return csv_safe(names.get(_foreign_id(lead, field), ""))
    if kind is Kind.LEAD:
        return str(_foreign_id(lead, field) or "")
    value = lead.pk if kind is Kind.ID else getattr(lead, field.name)
    if value is None:
        return ""
    if kind is Kind.PHONES:
        return " ".join(value)
    if kind is Kind.TEXTS:
        return csv_safe("; ".join(value))
    if kind is Kind.TEXT:
        return csv_safe(value)
    if kind is Kind.OBJECT:
        return csv_safe(json.dumps(value, ensure_ascii=False))
    if kind is Kind.MOMENT:
        return value.isoformat()
    return str(value)


def lead_csv_row(lead: Any, names: Mapping[int, str]) -> list[str]:
    """The CSV export's cells of one lead, in `EXPORT_COLUMNS` order."""
    return [csv_value(field, lead, names) for field in EXPORTED]


def _privacy_value(field: LeadField, lead: Any) -> Any:
    kind = field.kind
    if kind is Kind.ID:
        return lead.pk
    if kind in (Kind.STAGE, Kind.MEMBER, Kind.LEAD):
        return _foreign_id(lead, field)
    value = getattr(lead, field.name)
    if kind is Kind.MOMENT:
        return value.isoformat() if value else None
    if kind is Kind.AMOUNT:
        return str(value or "")
    return value


def lead_privacy_export(lead: Any) -> dict[str, Any]:
    """What a person's export says about their lead: one key per field marked `privacy`,
    in `LEAD_FIELDS` order; fields that share a key (the budget) give one list."""
    grouped: dict[str, list[Any]] = {}
    for field in LEAD_FIELDS:
        if field.privacy:
            grouped.setdefault(field.privacy, []).append(_privacy_value(field, lead))
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}

"""What the API takes and gives, as ninja schemas: they validate each request and write the
OpenAPI document, so the two cannot drift apart.

The schema names (`Lead`, `LeadCreate`, ...) are the component names clients have generated
code from; they stay as they are. Each field type says in one place what a client may send,
how it is tidied (whitespace, case) and which sentence answers a mistake."""

import re
import zoneinfo
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leads import fields, models
from leads.api.errors import ERROR_CODES
from leads.fields import Kind, LeadField

BUDGET_MAX = Decimal("1000000000000")
LIST_MAX = 20
SOURCE_DETAILS_MAX_KEYS = 30
PAGE_DEFAULT = 50
PAGE_MAX = 200


def _problem(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message is already the sentence the client gets."""
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"))


def _unstorable(value: str) -> bool:
    """NUL characters and unpaired surrogates: PostgreSQL cannot store either in text."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_storable(value: str) -> str:
    if _unstorable(value):
        raise _problem("text_unstorable", _("Send text."))
    return value


# --- Field types ----------------------------------------------------------------------------


def _text_reader(max_length: int, *, multiline: bool) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _problem("text_type", _("Send text."))
        _check_storable(value)
        # Only free text keeps its line breaks; a name or an email on two lines is one line.
        value = value.strip() if multiline else " ".join(value.split())
        if len(value) > max_length:
            raise _problem(
                "text_too_long",
                _("Keep this under %(limit)s characters.") % {"limit": max_length},
            )
        return value

    return read


def text(max_length: int, *, multiline: bool = False, **schema: Any) -> Any:
    """Text, or null for none; whitespace tidied before the length is checked."""
    return Annotated[
        str,
        BeforeValidator(_text_reader(max_length, multiline=multiline)),
        Field(max_length=max_length, **schema),
    ]


def _text_list_reader(max_length: int, max_items: int) -> Callable[[Any], list[str]]:
    def read(value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _problem("text_list_type", _("Send a list of text values."))
        if len(value) > max_items:
            raise _problem(
                "text_list_too_long", _("Send at most %(count)s values.") % {"count": max_items}
            )
        if any(len(item) > max_length for item in value):
            raise _problem(
                "text_list_item_too_long",
                _("Keep each value under %(limit)s characters.") % {"limit": max_length},
            )
        for item in value:
            _check_storable(item)
        return [" ".join(item.split()) for item in value if item.strip()]

    return read


def text_list(max_length: int, *, max_items: int = LIST_MAX, **schema: Any) -> Any:
    """A list of text values, or null for none; blank values are dropped."""
    return Annotated[
        list[str],
        BeforeValidator(_text_list_reader(max_length, max_items)),
        Field(max_length=max_items, **schema),
    ]


def _code_reader(length: int, message: str) -> Callable[[Any], str]:
    pattern = re.compile(f"[A-Za-z]{{{length}}}")

    def read(value: Any) -> str:
        value = _text_reader(10, multiline=False)(value)
        if value and not pattern.fullmatch(value):
            raise _problem("code_pattern", message)
        return value.upper()

    return read


def _country_reader(value: Any) -> str:
    return _code_reader(2, _("Use a two-letter country code, like AE."))(value)


def _currency_reader(value: Any) -> str:
    return _code_reader(3, _("Use a three-letter currency code, like AED."))(value)


# The pattern is documented, not enforced by pydantic: the reader has checked it already and
# answers with a sentence, and it lets null and "" through to mean "none".
CountryCode = Annotated[
    str,
    BeforeValidator(_country_reader),
    Field(json_schema_extra={"pattern": "^[A-Za-z]{2}$"}, description="ISO 3166-1 alpha-2."),
]
CurrencyCode = Annotated[
    str,
    BeforeValidator(_currency_reader),
    Field(json_schema_extra={"pattern": "^[A-Za-z]{3}$"}, examples=["AED"]),
]


def _language_reader(value: Any) -> str:
    return _text_reader(5, multiline=False)(value).lower()


Language = Annotated[
    str, BeforeValidator(_language_reader), Field(max_length=5, examples=["ar", "en"])
]


def _interest_reader(value: Any) -> str:
    value = _text_reader(10, multiline=False)(value)
    if value and value not in models.Interest.values:
        raise _problem("interest_choice", _("Choose buy, rent or off_plan."))
    return value


Interest = Annotated[
    Literal[tuple([*models.Interest.values, ""])],  # type: ignore[valid-type]
    BeforeValidator(_interest_reader),
]


def _bedrooms_reader(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _problem("whole_number", _("Send a whole number."))
    if not 0 <= value <= 50:
        raise _problem(
            "number_range",
            _("Send a number from %(minimum)s to %(maximum)s.") % {"minimum": 0, "maximum": 50},
        )
    return value


Bedrooms = Annotated[int | None, Field(ge=0, le=50), BeforeValidator(_bedrooms_reader)]


def _amount_reader(value: Any) -> Decimal | None:
    """A budget: a JSON number or a numeric string such as "1200000" or "1200000.50"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _problem("amount_type", _("Send an amount such as 1200000."))
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise _problem("amount_type", _("Send an amount such as 1200000.")) from None
    if not amount.is_finite() or amount < 0 or amount >= BUDGET_MAX:
        raise _problem("amount_range", _("Send an amount between 0 and 999,999,999,999."))
    return amount.quantize(Decimal("0.01"))


AmountIn = Annotated[
    Decimal | None,
    PlainValidator(_amount_reader),
    WithJsonSchema(
        {
            "type": ["number", "string", "null"],
            "description": 'A number, or a numeric string such as "1200000".',
        }
    ),
]


def _source_details_reader(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _problem("object_type", _("Send an object of names and values."))
    if len(value) > SOURCE_DETAILS_MAX_KEYS or not all(
        isinstance(v, str | int | float | bool) or v is None for v in value.values()
    ):
        raise _problem(
            "object_shape",
            _("Send at most %(count)s names with plain values (text, numbers, true/false).")
            % {"count": SOURCE_DETAILS_MAX_KEYS},
        )
    for key, item in value.items():
        _check_storable(key)
        if isinstance(item, str):
            _check_storable(item)
    return {str(k)[:60]: (v[:500] if isinstance(v, str) else v) for k, v in value.items()}


SourceDetails = Annotated[
    dict[str, Any],
    PlainValidator(_source_details_reader),
    WithJsonSchema(
        {
            "type": "object",
            "description": "Where it came from: campaign, form, page…",
            "maxProperties": SOURCE_DETAILS_MAX_KEYS,
        }
    ),
]


def _reference_reader(value: Any) -> int | str | None:
    """An id (number) or a name (text), or null."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.strip():
        return _check_storable(value.strip())
    raise _problem("reference", _("Send an id, a name, or null."))


def reference(**schema: Any) -> Any:
    return Annotated[int | str | None, PlainValidator(_reference_reader), WithJsonSchema(schema)]


FullName = text(150, examples=["Fatima Al Zahra"])
Phone = text(40, examples=["050 123 4567"])
Phones = text_list(40, max_items=5)
Email = text(254, json_schema_extra={"format": "email"})
PropertyType = text(40, examples=["apartment"])
Communities = text_list(80, examples=[["Dubai Marina", "JVC"]])
Message = text(2000, multiline=True)
LostReason = text(200)
Tags = text_list(40)
StageReference = reference(
    type=["integer", "string"], description="A stage id, or its name in English or Arabic."
)
AssigneeReference = reference(
    type=["integer", "null"], description="A team member's id, or null to unassign."
)


# --- Requests -------------------------------------------------------------------------------


class _Body(Schema):
    # A request body: unknown fields are errors, so a typo is not silently ignored.

    model_config = ConfigDict(extra="forbid")


class LeadCreate(_Body):
    """At least a phone or an email."""

    full_name: FullName = ""
    phone: Phone = ""
    phones: Phones = []
    email: Email = ""
    nationality: CountryCode = ""
    preferred_language: Language = ""
    interest: Interest = ""
    property_type: PropertyType = ""
    bedrooms: Bedrooms = None
    communities: Communities = []
    budget_min: AmountIn = None
    budget_max: AmountIn = None
    budget_currency: CurrencyCode = ""
    message: Message = ""
    source_details: SourceDetails = {}
    tags: Tags = []


class LeadUpdate(_Body):
    # Only the fields a client sent are changed: the view reads `model_fields_set`.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    full_name: FullName = ""
    phones: Phones = []
    email: Email = ""
    nationality: CountryCode = ""
    preferred_language: Language = ""
    interest: Interest = ""
    property_type: PropertyType = ""
    bedrooms: Bedrooms = None
    communities: Communities = []
    budget_min: AmountIn = None
    budget_max: AmountIn = None
    budget_currency: CurrencyCode = ""
    stage: StageReference = None
    lost_reason: LostReason = ""
    tags: Tags = []
    assignee: AssigneeReference = None

    @model_validator(mode="before")
    @classmethod
    def _something_to_change(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data:
            raise _problem("empty", _("Send at least one field to change."))
        return data


def _limit_reader(value: Any) -> int:
    if value in (None, ""):
        return PAGE_DEFAULT
    problem = _problem("page_size", _("Send a number from 1 to %(max)s.") % {"max": PAGE_MAX})
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise problem from None
    if not 1 <= limit <= PAGE_MAX:
        raise problem
    return limit


def _stage_name_reader(value: Any) -> Any:
    return _check_storable(value) if isinstance(value, str) else value


def _source_reader(value: Any) -> str:
    if value and value not in models.Source.values:
        raise _problem(
            "source_choice",
            _("Use one of: %(values)s.") % {"values": ", ".join(models.Source.values)},
        )
    return value or ""


def _moment_reader(value: Any, info: ValidationInfo) -> datetime | None:
    """ISO 8601 date or date-time; without an offset, read in the agency's time zone."""
    if not value:
        return None
    problem = _problem("moment", _("Use an ISO 8601 date or time, like 2026-05-01T09:00:00+04:00."))
    if not isinstance(value, str) or _unstorable(value):
        raise problem
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time.min) if day is not None else None
    except ValueError:  # well formed but impossible, like February 30th
        raise problem from None
    if moment is None:
        raise problem
    if timezone.is_naive(moment):
        request = (info.context or {}).get("request")
        tenant = getattr(request, "tenant", None)
        tz = zoneinfo.ZoneInfo(getattr(tenant, "timezone", "") or "Asia/Dubai")
        moment = moment.replace(tzinfo=tz)
    return moment


class LeadListParams(Schema):
    cursor: str = ""
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX), BeforeValidator(_limit_reader)] = PAGE_DEFAULT
    stage: Annotated[
        str,
        BeforeValidator(_stage_name_reader),
        Field(description="A stage id, or its name in English or Arabic."),
    ] = ""
    source: Annotated[
        str,
        BeforeValidator(_source_reader),
        Field(json_schema_extra={"enum": list(models.Source.values)}),
    ] = ""
    updated_since: Annotated[
        datetime | None,
        PlainValidator(_moment_reader),
        WithJsonSchema(
            {
                "type": "string",
                "description": (
                    "ISO 8601 date or date-time; without an offset it is read in the agency's "
                    "time zone."
                ),
            }
        ),
    ] = None


# --- Responses ------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


Moment = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
OptionalMoment = Annotated[
    datetime | None,
    PlainSerializer(_iso, return_type=str | None),
    WithJsonSchema({"type": ["string", "null"], "format": "date-time"}),
]
AmountOut = Annotated[
    Decimal | None,
    PlainSerializer(lambda value: None if value is None else format(value, "f")),
    WithJsonSchema(
        {
            "type": ["string", "null"],
            "pattern": r"^\d+(\.\d{1,2})?$",
            "description": "A decimal amount as a string, to keep its exact value.",
            "examples": ["1200000.00"],
        }
    ),
]


class Stage(Schema):
    id: int
    name: str
    kind: Literal[tuple(models.PipelineStage.Kind.values)]  # type: ignore[valid-type]


class Member(Schema):
    id: int
    name: str


# How each kind of lead field reads in JSON (leads.fields.Kind); null fields also allow null.
_READ_TYPES: dict[Kind, Any] = {
    Kind.ID: int,
    Kind.TEXT: str,
    Kind.CODE: str,
    Kind.PHONES: list[str],
    Kind.TEXTS: list[str],
    Kind.NUMBER: int,
    Kind.AMOUNT: AmountOut,
    Kind.MOMENT: Moment,
    Kind.OBJECT: dict[str, Any],
    Kind.STAGE: Stage,
    Kind.MEMBER: Member,
    Kind.LEAD: int,
}
# Where v1 says more about a field than its kind does.
_READ_TYPES_OF_FIELDS: dict[str, Any] = {
    "phones": Annotated[list[str], Field(description="E.164, like +971501234567.")],
    "first_response_at": Annotated[
        OptionalMoment, Field(description="The first outbound contact after the lead arrived.")
    ],
    "first_response_channel": Literal["", "call", "whatsapp", "email", "sms"],
}


def _read_type(field: LeadField) -> Any:
    if field.name in _READ_TYPES_OF_FIELDS:
        return _READ_TYPES_OF_FIELDS[field.name]
    model_field = models.Lead._meta.get_field(field.name)
    if model_field.choices:
        values = [value for value, _label in model_field.choices]
        if model_field.blank:
            values.append("")
        return Literal[tuple(values)]
    if field.kind is Kind.MOMENT and field.null:
        return OptionalMoment
    if field.kind is Kind.AMOUNT or not field.null:
        return _READ_TYPES[field.kind]
    return _READ_TYPES[field.kind] | None


def _read_value(field: LeadField, lead: models.Lead, names: dict[int, str]) -> Any:
    if field.kind is Kind.ID:
        return lead.pk
    if field.kind is Kind.STAGE:
        stage = getattr(lead, field.name)
        return Stage(id=stage.pk, name=stage.name, kind=stage.kind)
    if field.kind in (Kind.MEMBER, Kind.LEAD):
        related_id = getattr(lead, f"{field.name}_id")
        if field.kind is Kind.LEAD or related_id is None:
            return related_id
        return Member(id=related_id, name=names.get(related_id, ""))
    value = getattr(lead, field.name)
    return list(value) if field.kind in (Kind.PHONES, Kind.TEXTS) else value


# The API answers with the fields in the model's order, as v1 published them.
_MODEL_ORDER = {f.name: i for i, f in enumerate(models.Lead._meta.concrete_fields)}
_LEAD_READ = sorted(fields.API_READ, key=lambda field: _MODEL_ORDER[field.name])


class _LeadAnswer(Schema):
    @classmethod
    def of(cls, lead: models.Lead, *, names: dict[int, str]) -> "Lead":
        """`names`: the display name of each assignee, by membership id."""
        return cls(**{field.name: _read_value(field, lead, names) for field in _LEAD_READ})


# A lead as the API gives it: every field of leads.fields marked `api_read`.
Lead = create_model(
    "Lead",
    __base__=_LeadAnswer,
    __module__=__name__,
    **{field.name: (_read_type(field), ...) for field in _LEAD_READ},
)


class LeadPage(Schema):
    data: list[Lead]
    has_more: bool
    next_cursor: str | None


class ErrorDetail(Schema):
    code: Literal[tuple(ERROR_CODES)]  # type: ignore[valid-type]
    message: str
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages by field; `_` for the whole body."
    )


class Error(Schema):
    error: ErrorDetail

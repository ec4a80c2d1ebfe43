"""Which column of a lead file is which lead field, guessed from English or Arabic headings.

A mapping is a list with one field key per column ("" = don't import), in column order.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.budgets import currency_named
from leads.search import search_normalise

FULL_NAME = "full_name"
FIRST_NAME = "first_name"
LAST_NAME = "last_name"
PHONE = "phone"
EMAIL = "email"
SOURCE = "source"
BUDGET = "budget"
BUDGET_MIN = "budget_min"
BUDGET_MAX = "budget_max"
COMMUNITY = "community"
BEDROOMS = "bedrooms"
NATIONALITY = "nationality"
LANGUAGE = "preferred_language"
INTEREST = "interest"
PROPERTY_TYPE = "property_type"
NOTES = "notes"
SKIP = ""

FIELD_CHOICES: list[tuple[str, object]] = [
    (SKIP, gettext_lazy("Don't import")),
    (FULL_NAME, gettext_lazy("Name")),
    (FIRST_NAME, gettext_lazy("First name")),
    (LAST_NAME, gettext_lazy("Last name")),
    (PHONE, gettext_lazy("Phone")),
    (EMAIL, gettext_lazy("Email")),
    (SOURCE, gettext_lazy("Source")),
    (BUDGET, gettext_lazy("Budget")),
    (BUDGET_MIN, gettext_lazy("Lowest budget")),
    (BUDGET_MAX, gettext_lazy("Highest budget")),
    (COMMUNITY, gettext_lazy("Community")),
    (BEDROOMS, gettext_lazy("Bedrooms")),
    (NATIONALITY, gettext_lazy("Nationality")),
    (LANGUAGE, gettext_lazy("Preferred language")),
    (INTEREST, gettext_lazy("Buy, rent or off-plan")),
    (PROPERTY_TYPE, gettext_lazy("Property type")),
    (NOTES, gettext_lazy("Notes")),
]
FIELDS = frozenset(key for key, _label in FIELD_CHOICES if key)
# Several columns may feed these: "Mobile" and "Phone 2", "Area" and "Project", two note columns.
REPEATABLE = frozenset({PHONE, COMMUNITY, NOTES})

# Headings as portals, CRMs and hand-made spreadsheets name them, in English and Arabic. Each
# is compared after the same normalisation as search (case, Arabic letter forms, separators).
SYNONYMS: dict[str, tuple[str, ...]] = {
    FULL_NAME: (
        "name",
        "full name",
        "fullname",
        "client",
        "client name",
        "customer",
        "customer name",
        "lead",
        "lead name",
        "contact",
        "contact name",
        "buyer name",
        "tenant name",
        "الاسم",
        "الإسم",
        "اسم",
        "الاسم الكامل",
        "اسم العميل",
        "العميل",
        "اسم الزبون",
    ),
    FIRST_NAME: ("first name", "firstname", "given name", "forename", "الاسم الأول"),
    LAST_NAME: (
        "last name",
        "lastname",
        "surname",
        "family name",
        "اسم العائلة",
        "الاسم الأخير",
        "العائلة",
    ),
    PHONE: (
        "mobile",
        "phone",
        "phone number",
        "mobile number",
        "mobile no",
        "phone no",
        "tel",
        "telephone",
        "cell",
        "cell phone",
        "contact number",
        "contact no",
        "whatsapp",
        "whatsapp number",
        "phone 2",
        "mobile 2",
        "other phone",
        "alternate phone",
        "الجوال",
        "جوال",
        "الهاتف",
        "هاتف",
        "رقم الهاتف",
        "رقم الجوال",
        "الموبايل",
        "موبايل",
        "رقم الموبايل",
        "المحمول",
        "الهاتف المحمول",
        "واتساب",
        "رقم الواتساب",
        "رقم التواصل",
    ),
    EMAIL: (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "البريد الإلكتروني",
        "البريد الالكتروني",
        "البريد",
        "الايميل",
        "ايميل",
        "الإيميل",
    ),
    SOURCE: (
        "source",
        "lead source",
        "channel",
        "portal",
        "campaign",
        "origin",
        "المصدر",
        "مصدر",
        "مصدر العميل",
        "القناة",
    ),
    BUDGET: (
        "budget",
        "price",
        "budget aed",
        "price range",
        "budget range",
        "amount",
        "value",
        "الميزانية",
        "ميزانية",
        "السعر",
        "المبلغ",
    ),
    BUDGET_MIN: (
        "min budget",
        "budget min",
        "minimum budget",
        "budget from",
        "min price",
        "الحد الأدنى للميزانية",
        "أقل ميزانية",
    ),
    BUDGET_MAX: (
        "max budget",
        "budget max",
        "maximum budget",
        "budget to",
        "max price",
        "الحد الأعلى للميزانية",
        "أعلى ميزانية",
    ),
    COMMUNITY: (
        "community",
        "area",
        "location",
        "project",
        "district",
        "neighbourhood",
        "neighborhood",
        "sub community",
        "building",
        "preferred area",
        "المنطقة",
        "منطقة",
        "المجتمع",
        "الموقع",
        "المشروع",
        "الحي",
    ),
    BEDROOMS: (
        "bedrooms",
        "bedroom",
        "beds",
        "bed",
        "br",
        "bhk",
        "rooms",
        "no of bedrooms",
        "number of bedrooms",
        "number of rooms",
        "no of rooms",
        "غرف النوم",
        "عدد الغرف",
        "عدد غرف النوم",
        "الغرف",
        "غرف",
    ),
    NATIONALITY: ("nationality", "citizenship", "country", "الجنسية", "جنسية", "الدولة"),
    LANGUAGE: ("language", "preferred language", "lang", "اللغة", "لغة", "اللغة المفضلة"),
    INTEREST: (
        "interest",
        "purpose",
        "buy rent",
        "buy or rent",
        "requirement",
        "transaction type",
        "deal type",
        "lead type",
        "الغرض",
        "الهدف",
        "نوع الطلب",
        "نوع الصفقة",
    ),
    PROPERTY_TYPE: (
        "property type",
        "type",
        "unit type",
        "نوع العقار",
        "نوع الوحدة",
    ),
    NOTES: (
        "notes",
        "note",
        "comments",
        "comment",
        "remarks",
        "message",
        "description",
        "details",
        "ملاحظات",
        "ملاحظة",
        "تعليقات",
        "تعليق",
        "الرسالة",
        "تفاصيل",
    ),
}

# Words that make a heading about something else: "Client ID", "Agent Name", "Lead Status".
_NOT_LEAD_FIELDS = frozenset(
    search_normalise(word)
    for word in (
        "id",
        "ref",
        "reference",
        "code",
        "date",
        "created",
        "updated",
        "modified",
        "time",
        "status",
        "stage",
        "agent",
        "owner",
        "assigned",
        "assignee",
        "broker",
        "score",
        "url",
        "link",
        "معرف",
        "المعرف",
        "تاريخ",
        "التاريخ",
        "الحالة",
        "الوكيل",
        "الوسيط",
        "المسؤول",
    )
)
_PARENTHESES = re.compile(r"\(.*?\)|\[.*?\]")


def heading_normalise(heading: str) -> str:
    return search_normalise(_PARENTHESES.sub(" ", heading or ""))


_EXACT: dict[str, str] = {}
_PHRASES: list[tuple[tuple[str, ...], str]] = []
for _field, _names in SYNONYMS.items():
    for _name in _names:
        _key = heading_normalise(_name)
        _EXACT.setdefault(_key, _field)
        _PHRASES.append((tuple(_key.split()), _field))
# Longest phrases first, so "first name" beats "name" and "phone number" beats "number".
_PHRASES.sort(key=lambda item: -len(item[0]))


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1))


def heading_field(heading: str) -> str:
    """The field a heading most likely means, or "" when we can't tell."""
    key = heading_normalise(heading)
    if not key:
        return SKIP
    if key in _EXACT:
        return _EXACT[key]
    words = key.split()
    if _NOT_LEAD_FIELDS & set(words):
        return SKIP
    for phrase, field in _PHRASES:
        if _contains(words, phrase):
            return field
    # "2Phone", "Mobile#" and headings glued to digits.
    compact = re.sub(r"\d+", " ", key).split()
    for phrase, field in _PHRASES:
        if compact != words and _contains(compact, phrase):
            return field
    return SKIP


def mapping_guess(headers: list[str]) -> list[str]:
    mapping: list[str] = []
    taken: set[str] = set()
    for heading in headers:
        field = heading_field(heading)
        if field in taken and field not in REPEATABLE:
            field = SKIP
        if field:
            taken.add(field)
        mapping.append(field)
    if FULL_NAME in taken and (FIRST_NAME in taken or LAST_NAME in taken):
        # "Name" beside "First name"/"Last name" is usually a company or a display name.
        mapping = [SKIP if f in (FIRST_NAME, LAST_NAME) else f for f in mapping]
    return mapping


def mapping_clean(mapping: list[str], headers: list[str]) -> list[str]:
    """A mapping a person chose: one known field (or nothing) per column, each single field
    at most once, and at least one column that says how to reach the person."""
    if len(mapping) != len(headers):
        raise ValidationError(_("Choose a field (or “Don't import”) for every column."))
    unknown = [f for f in mapping if f and f not in FIELDS]
    if unknown:
        raise ValidationError(_("Choose a field (or “Don't import”) for every column."))
    errors: list[str] = []
    labels = dict(FIELD_CHOICES)
    for field in FIELDS - REPEATABLE:
        columns = [headers[i] for i, f in enumerate(mapping) if f == field]
        if len(columns) > 1:
            errors.append(
                _("“%(field)s” is chosen for %(count)s columns (%(columns)s). Keep one.")
                % {
                    "field": labels[field],
                    "count": len(columns),
                    "columns": ", ".join(columns),
                }
            )
    if PHONE not in mapping and EMAIL not in mapping:
        errors.append(
            _("Choose the column with the phone number or the email: a lead needs one of them.")
        )
    if errors:
        raise ValidationError(errors)
    return list(mapping)


def currency_in(text: str) -> str:
    """A currency named in a heading: "Budget (AED)", "الميزانية (درهم)", "Price $"."""
    return currency_named(text)

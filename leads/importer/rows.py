"""One row of a lead file → one validated inquiry, or the reasons it can't be imported.

Values are read tolerantly ("1,200,000", "85000/yr", "3.5M", "Studio", "Emirati", "شراء"; budgets
by `leads.budgets`, as web forms' are) and then validated by `leads.services.inquiry_clean`, the
same rules every other source passes. A row keeps what is valid: a bad email beside a good
phone is dropped and reported, the lead is still imported. A row with no usable phone or email
is rejected with every reason.

Nothing here touches the database: rows are cleaned in worker processes (see pipeline.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.phones import phone_normalise
from leads.budgets import ARABIC_DIGITS, BudgetError, budget_parse
from leads.importer import mapping as m
from leads.inquiries.inquiry import Inquiry, inquiry_clean
from leads.models import Interest, Source
from leads.search import search_normalise

MAX_PHONES = 10
MAX_EMAIL_LENGTH = 254  # Lead.email
MAX_BEDROOMS = 50
MAX_COMMUNITIES = 10
MAX_MESSAGE = 2000
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"


@lru_cache(maxsize=8192)
def _normal(text: str) -> str:
    """search_normalise, remembered: budgets, bedrooms, nationalities and the like repeat
    thousands of times in a file."""
    return search_normalise(text)


EMAIL_SEPARATORS = re.compile(r"[\s,;]+")
LIST_SEPARATORS = re.compile(r"\s*[,;|/،؛]\s*")
PHONE_SEPARATORS = re.compile(r"\s*(?:[,;|/،؛]|\bor\b|\bأو\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class RowPlan:
    """How to read the rows of one import; sent once to each worker process."""

    headers: tuple[str, ...]
    mapping: tuple[str, ...]
    region: str
    currency: str

    @classmethod
    def build(cls, *, headers: list[str], mapping: list[str], region: str, currency: str):
        # "Budget (AED)" names the currency for the whole column.
        for heading, key in zip(headers, mapping, strict=True):
            if key in (m.BUDGET, m.BUDGET_MIN, m.BUDGET_MAX) and m.currency_in(heading):
                currency = m.currency_in(heading)
                break
        return cls(headers=tuple(headers), mapping=tuple(mapping), region=region, currency=currency)


@dataclass
class CleanRow:
    """`inquiry` is None when the row is rejected; `problems` are then the reasons, otherwise
    the fields left out of an imported row."""

    inquiry: Inquiry | None
    problems: list[str] = field(default_factory=list)
    original_source: str = ""

    @property
    def rejected(self) -> bool:
        return self.inquiry is None


# --- tolerant value readers ---------------------------------------------------------------

_STUDIO = {"studio", "st", "استوديو", "ستوديو", "استديو"}


@lru_cache(maxsize=1024)
def bedrooms_parse(text: str) -> int | None:
    raw = _normal((text or "").translate(ARABIC_DIGITS))
    if not raw:
        return None
    if raw in _STUDIO or raw.split()[0] in _STUDIO:
        return 0
    found = re.search(r"\d+", raw)
    if not found or int(found.group()) > MAX_BEDROOMS:
        raise ValueError(raw)
    return int(found.group())


_INTEREST_WORDS = {
    Interest.BUY: (
        "buy",
        "buyer",
        "buying",
        "purchase",
        "sale",
        "sell",
        "for sale",
        "ownership",
        "own",
        "invest",
        "investment",
        "ready",
        "secondary",
        "شراء",
        "تملك",
        "بيع",
        "للبيع",
        "استثمار",
    ),
    Interest.RENT: (
        "rent",
        "rental",
        "renting",
        "lease",
        "let",
        "tenant",
        "for rent",
        "إيجار",
        "ايجار",
        "للإيجار",
        "استئجار",
        "تأجير",
    ),
    Interest.OFF_PLAN: (
        "off plan",
        "offplan",
        "off-plan",
        "under construction",
        "new launch",
        "على الخارطة",
        "قيد الإنشاء",
        "خارطة",
    ),
}
_INTERESTS = {search_normalise(w): key for key, words in _INTEREST_WORDS.items() for w in words}


def interest_parse(text: str) -> str:
    raw = _normal(text)
    if not raw:
        return ""
    if raw in _INTERESTS:
        return _INTERESTS[raw]
    for word, key in sorted(_INTERESTS.items(), key=lambda item: -len(item[0])):
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", raw):
            return key
    raise ValueError(raw)


_LANGUAGES = {
    "en": ("en", "eng", "english", "الإنجليزية", "الانجليزية", "إنجليزي", "انجليزي", "انكليزي"),
    "ar": ("ar", "ara", "arabic", "العربية", "عربي", "العربي"),
    "ru": ("ru", "rus", "russian", "الروسية", "روسي"),
    "hi": ("hi", "hindi", "الهندية", "هندي"),
    "ur": ("ur", "urdu", "الأردية", "اردو", "أردو"),
    "fr": ("fr", "french", "الفرنسية", "فرنسي"),
    "de": ("de", "german", "الألمانية", "ألماني"),
    "zh": ("zh", "chinese", "mandarin", "الصينية", "صيني"),
    "fa": ("fa", "farsi", "persian", "الفارسية", "فارسي"),
    "tl": ("tl", "tagalog", "filipino", "التاغالوغية"),
    "es": ("es", "spanish", "الإسبانية"),
    "it": ("it", "italian", "الإيطالية"),
    "tr": ("tr", "turkish", "التركية", "تركي"),
}
_LANGUAGE_CODES = {search_normalise(w): code for code, words in _LANGUAGES.items() for w in words}


def language_parse(text: str) -> str:
    raw = _normal(text)
    if not raw:
        return ""
    if raw in _LANGUAGE_CODES:
        return _LANGUAGE_CODES[raw]
    raise ValueError(raw)


# Demonyms and everyday names of the nationalities a Dubai brokerage sees most; country names
# (English, and Arabic where the library has them) come from phonenumbers' locale data.
_NATIONALITY_WORDS = {
    "AE": (
        "emirati",
        "uae",
        "u a e",
        "emirates",
        "إماراتي",
        "الإمارات",
        "الامارات العربية المتحدة",
        "ARE",
    ),
    "SA": ("saudi", "ksa", "saudi arabian", "سعودي", "السعودية", "المملكة العربية السعودية", "SAU"),
    "IN": ("indian", "هندي", "الهند", "IND"),
    "PK": ("pakistani", "باكستاني", "باكستان", "PAK"),
    "GB": (
        "british",
        "uk",
        "u k",
        "england",
        "english",
        "great britain",
        "britain",
        "scottish",
        "welsh",
        "بريطاني",
        "بريطانيا",
        "المملكة المتحدة",
        "GBR",
    ),
    "US": (
        "american",
        "usa",
        "u s a",
        "us",
        "united states of america",
        "أمريكي",
        "امريكي",
        "أمريكا",
        "الولايات المتحدة",
        "USA",
    ),
    "RU": ("russian", "روسي", "روسيا", "RUS"),
    "EG": ("egyptian", "مصري", "مصر", "EGY"),
    "JO": ("jordanian", "أردني", "الأردن"),
    "LB": ("lebanese", "لبناني", "لبنان"),
    "SY": ("syrian", "سوري", "سوريا"),
    "PS": ("palestinian", "فلسطيني", "فلسطين"),
    "IQ": ("iraqi", "عراقي", "العراق"),
    "IR": ("iranian", "persian", "إيراني", "ايراني", "إيران"),
    "KW": ("kuwaiti", "كويتي", "الكويت"),
    "QA": ("qatari", "قطري", "قطر"),
    "BH": ("bahraini", "بحريني", "البحرين"),
    "OM": ("omani", "عماني", "عمان"),
    "YE": ("yemeni", "يمني", "اليمن"),
    "SD": ("sudanese", "سوداني", "السودان"),
    "MA": ("moroccan", "مغربي", "المغرب"),
    "TN": ("tunisian", "تونسي", "تونس"),
    "DZ": ("algerian", "جزائري", "الجزائر"),
    "TR": ("turkish", "تركي", "تركيا"),
    "PH": ("filipino", "filipina", "philippine", "فلبيني", "الفلبين"),
    "CN": ("chinese", "صيني", "الصين"),
    "CA": ("canadian", "كندي", "كندا"),
    "AU": ("australian", "أسترالي", "أستراليا"),
    "FR": ("french", "فرنسي", "فرنسا"),
    "DE": ("german", "ألماني", "ألمانيا"),
    "IT": ("italian", "إيطالي", "إيطاليا"),
    "ES": ("spanish", "إسباني", "إسبانيا"),
    "NL": ("dutch", "هولندي", "هولندا"),
    "CH": ("swiss", "سويسري", "سويسرا"),
    "IE": ("irish", "إيرلندي", "أيرلندا"),
    "SE": ("swedish", "سويدي", "السويد"),
    "UA": ("ukrainian", "أوكراني", "أوكرانيا"),
    "KZ": ("kazakh", "kazakhstani", "كازاخستاني", "كازاخستان"),
    "NG": ("nigerian", "نيجيري", "نيجيريا"),
    "ZA": ("south african", "جنوب أفريقي", "جنوب أفريقيا"),
    "BD": ("bangladeshi", "بنغلاديشي", "بنغلاديش"),
    "LK": ("sri lankan", "سريلانكي", "سريلانكا"),
    "NP": ("nepali", "nepalese", "نيبالي", "نيبال"),
    "AF": ("afghan", "أفغاني", "أفغانستان"),
}


@lru_cache(maxsize=1)
def _nationalities() -> dict[str, str]:
    from phonenumbers.geodata.locale import LOCALE_DATA

    def name(region: str, language: str) -> str:
        value = LOCALE_DATA.get(region, {}).get(language) or ""
        while value.startswith("*"):
            value = LOCALE_DATA[region].get(value[1:]) or ""
        return value

    table: dict[str, str] = {}
    for region in LOCALE_DATA:
        if len(region) != 2 or not region.isalpha():
            continue
        table.setdefault(search_normalise(region), region)
        for language in ("en", "ar"):
            if text := name(region, language):
                table.setdefault(search_normalise(text), region)
    for region, words in _NATIONALITY_WORDS.items():
        for word in words:
            key = search_normalise(word)
            table[key] = region
            if re.search(r"[\u0600-\u06ff]ي$", key):
                table[key + "ه"] = region  # the feminine form: إماراتية
    return table


def nationality_parse(text: str) -> str:
    raw = _normal(text)
    if not raw:
        return ""
    table = _nationalities()
    if raw in table:
        return table[raw]
    raise ValueError(raw)


# --- one row ------------------------------------------------------------------------------


# What people type in a cell that has nothing to say; treated as empty, not as a problem.
PLACEHOLDERS = frozenset(
    word.lower()
    for word in (
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "nil",
        "not available",
        "not provided",
        "unknown",
        "tbc",
        "tbd",
        "غير متوفر",
        "غير متاح",
        "لا يوجد",
        "لا يوجد رقم",
        "غير معروف",
        "غير محدد",
    )
)


def _is_placeholder(value: str) -> bool:
    if len(value) > 20:
        return False
    if value.lower() in PLACEHOLDERS:
        return True
    # "-", "--", "?", "...": nothing a person could be reached by or a lead described with.
    return len(value) <= 4 and not any(c.isalnum() for c in value)


def _collect(values: list[str], plan: RowPlan) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for value, key in zip(values, plan.mapping, strict=False):
        if key and value:
            if "\x00" in value:
                value = value.replace("\x00", "")
            value = value.strip()
            if value and not _is_placeholder(value):
                found.setdefault(key, []).append(value)
    return found


def _first(found: dict[str, list[str]], key: str) -> str:
    return found.get(key, [""])[0]


def _phone_left_out(reason: str) -> str:
    return _("Imported without this phone number: %(reason)s") % {"reason": reason}


def _email_left_out(reason: str) -> str:
    return _("Imported without the email: %(reason)s") % {"reason": reason}


def _isolated(value: str) -> str:
    """A value inside a sentence keeps its own direction: a phone number or an email stays
    left to right inside Arabic. First-strong isolation when the value has letters; digits
    and signs alone have no direction of their own, so they are isolated left to right."""
    opening = FSI if any(c.isalpha() for c in value) else LRI
    return f"{opening}{value}{PDI}"


def _short(value: str) -> str:
    """A cell quoted in a message: cut if long, and isolated."""
    return _isolated(value if len(value) <= 60 else value[:59] + "…")


def _isolate_values(messages: list[str], values: list[str]) -> list[str]:
    """The same isolation for messages written by the shared validators."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        # The quotes differ by language (“…”, «…»); the value comes first in either.
        messages = [m.replace(value, _isolated(value), 1) if PDI not in m else m for m in messages]
    return messages


# Optional cells read by a tolerant parser: the mapped column, the Inquiry field it fills, the
# parser, and the problem reported when the parser can't read the cell (the row is still imported,
# without that value). Translated when reported, so a row that reads well costs no lookup.
_OPTIONAL_READERS: tuple[tuple[str, str, Callable[[str], object], str], ...] = (
    (
        m.BEDROOMS,
        "bedrooms",
        bedrooms_parse,
        gettext_noop("“%(value)s” is not a number of bedrooms we can read, so it was left out."),
    ),
    (
        m.INTEREST,
        "interest",
        interest_parse,
        gettext_noop("“%(value)s” is not buy, rent or off-plan, so it was left out."),
    ),
    (
        m.NATIONALITY,
        "nationality",
        nationality_parse,
        gettext_noop("“%(value)s” is not a nationality we know, so it was left out."),
    ),
    (
        m.LANGUAGE,
        "preferred_language",
        language_parse,
        gettext_noop("“%(value)s” is not a language we know, so it was left out."),
    ),
)


def row_to_inquiry(values: list[str], plan: RowPlan) -> tuple[Inquiry, list[str], str]:
    """Read the mapped cells into an Inquiry (not validated yet) and the problems met on the way
    with the optional fields (each left out, never a reason to reject the row)."""
    found = _collect(values, plan)
    problems: list[str] = []
    name = _first(found, m.FULL_NAME) or " ".join(
        part for part in (_first(found, m.FIRST_NAME), _first(found, m.LAST_NAME)) if part
    )
    phones: list[str] = []
    for cell in found.get(m.PHONE, []):
        phones.extend(p for p in PHONE_SEPARATORS.split(cell) if p)
    if len(phones) > MAX_PHONES:
        problems.append(
            _("Only the first %(count)s phone numbers were kept.") % {"count": MAX_PHONES}
        )
        phones = phones[:MAX_PHONES]
    email = _first(found, m.EMAIL)
    if EMAIL_SEPARATORS.search(email):
        emails = [e for e in EMAIL_SEPARATORS.split(email) if e]
        email = emails[0] if emails else ""
        if len(emails) > 1:
            problems.append(_("Only the first email address was kept."))
    inquiry = Inquiry(source=Source.CSV, full_name=name, phones=phones, email=email)

    budget_cells = [(k, _first(found, k)) for k in (m.BUDGET, m.BUDGET_MIN, m.BUDGET_MAX)]
    for key, cell in budget_cells:
        if not cell:
            continue
        try:
            budget = budget_parse(cell, currency=plan.currency)
        except BudgetError:
            problems.append(
                _("“%(value)s” is not a budget we can read, so it was left out.")
                % {"value": _short(cell)}
            )
            continue
        if budget is None:
            continue
        if key == m.BUDGET_MIN:
            inquiry.budget_min = budget.high if budget.low is None else budget.low
        elif key == m.BUDGET_MAX:
            inquiry.budget_max = budget.high if budget.high is not None else budget.low
        else:
            inquiry.budget_min, inquiry.budget_max = budget.low, budget.high
        inquiry.budget_currency = budget.currency
        if budget.rent and not inquiry.interest:
            inquiry.interest = Interest.RENT
    if (
        inquiry.budget_min is not None
        and inquiry.budget_max is not None
        and inquiry.budget_min > inquiry.budget_max
    ):
        problems.append(_("The lowest budget is above the highest, so both were left out."))
        inquiry.budget_min = inquiry.budget_max = None
        inquiry.budget_currency = ""

    for key, field_name, parse, left_out in _OPTIONAL_READERS:
        if cell := _first(found, key):
            try:
                setattr(inquiry, field_name, parse(cell))
            except ValueError:
                # The field keeps what it had (a rent budget may already have set the interest).
                problems.append(_(left_out) % {"value": _short(cell)})
    inquiry.property_type = " ".join(_first(found, m.PROPERTY_TYPE).split())[:40]
    communities: list[str] = []
    for cell in found.get(m.COMMUNITY, []):
        for part in LIST_SEPARATORS.split(cell):
            part = " ".join(part.split())[:80]
            if part and part not in communities:
                communities.append(part)
    inquiry.communities = communities[:MAX_COMMUNITIES]
    inquiry.message = "\n".join(found.get(m.NOTES, []))[:MAX_MESSAGE]
    original_source = " ".join(_first(found, m.SOURCE).split())[:100]
    return inquiry, problems, original_source


def _phone_problems(phones: list[str], region: str) -> tuple[list[str], list[str]]:
    """Split phones into the ones that pass and the messages for the ones that don't."""
    good: list[str] = []
    messages: list[str] = []
    for raw in phones:
        try:
            phone_normalise(raw, region=region)
        except ValidationError as error:
            messages.extend(error.messages)
        else:
            good.append(raw)
    return good, messages


def row_clean(values: list[str], plan: RowPlan) -> CleanRow:
    inquiry, problems, original_source = row_to_inquiry(values, plan)
    phone_reasons: list[str] = []
    email_reasons: list[str] = []
    if len(inquiry.email) > MAX_EMAIL_LENGTH:
        email_reasons.append(
            _("“%(value)s” is longer than an email address can be.")
            % {"value": _short(inquiry.email)}
        )
        inquiry.email = ""
    try:
        cleaned = inquiry_clean(inquiry, region=plan.region)
    except ValidationError as error:
        errors = error.message_dict
        # Keep what passes: a bad email beside a good phone (or the reverse) is left out and
        # reported; only a row with no way to reach the person is rejected.
        if "phones" in errors:
            raw_phones = list(inquiry.phones)
            inquiry.phones, messages = _phone_problems(inquiry.phones, plan.region)
            phone_reasons += _isolate_values(messages, raw_phones)
        if "email" in errors:
            email_reasons += _isolate_values(errors["email"], [inquiry.email])
            inquiry.email = ""
        other = [
            message
            for key, messages in errors.items()
            if key not in ("phones", "email")
            for message in messages
        ]
        if not inquiry.phones and not inquiry.email:
            reasons = phone_reasons + email_reasons + other
            return CleanRow(inquiry=None, problems=reasons + problems)
        try:
            cleaned = inquiry_clean(inquiry, region=plan.region)
        except ValidationError as again:
            return CleanRow(
                inquiry=None, problems=phone_reasons + email_reasons + again.messages + problems
            )
    left_out = [_phone_left_out(r) for r in phone_reasons]
    left_out += [_email_left_out(r) for r in email_reasons]
    return CleanRow(inquiry=cleaned, problems=left_out + problems, original_source=original_source)

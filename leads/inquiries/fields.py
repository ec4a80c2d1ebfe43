"""Turn the fields a website form or a Meta lead form sends into an `Inquiry`.

Both sources name their fields freely (`phone`, `mobile`, `whatsapp`; Meta snake-cases each
custom question: `what_is_your_budget?`), so names are matched tolerantly. Contact fields are
checked strictly later by `lead_capture`, since a lead nobody can reach is worthless; descriptive
answers (budget, bedrooms, interest) are parsed where they can be, and anything that cannot be
read is kept word for word in the inquiry's message, so nothing the person wrote is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from leads import budgets
from leads.budgets import ARABIC_DIGITS
from leads.inquiries.inquiry import Inquiry
from leads.models import Interest

MAX_FIELDS = 60
MAX_VALUE_LENGTH = 2000
MAX_DETAIL_LENGTH = 300

NAME_KEYS = frozenset({"name", "full_name", "fullname", "your_name", "contact_name", "client_name"})
FIRST_NAME_KEYS = frozenset({"first_name", "firstname", "fname", "given_name"})
LAST_NAME_KEYS = frozenset({"last_name", "lastname", "lname", "surname", "family_name"})
PHONE_KEYS = frozenset(
    {
        "phone",
        "phone_number",
        "phonenumber",
        "mobile",
        "mobile_number",
        "mobile_phone",
        "whatsapp",
        "whatsapp_number",
        "tel",
        "telephone",
        "contact_number",
    }
)
EMAIL_KEYS = frozenset({"email", "email_address", "e_mail", "work_email", "your_email"})
MESSAGE_KEYS = frozenset(
    {"message", "comments", "comment", "notes", "note", "enquiry", "inquiry", "your_message"}
)
INTEREST_KEYS = frozenset({"interest", "purpose", "looking_to", "intent", "buy_or_rent"})
PROPERTY_TYPE_KEYS = frozenset({"property_type", "type", "unit_type", "property"})
LANGUAGE_KEYS = frozenset({"language", "preferred_language"})
NATIONALITY_KEYS = frozenset({"nationality", "country_code"})
MULTI_COMMUNITY_KEYS = frozenset({"communities", "areas", "locations"})
PAGE_KEYS = frozenset({"page_url", "page", "landing_page", "referrer", "source_url"})
CLICK_ID_KEYS = frozenset({"gclid", "fbclid", "msclkid"})
# Fields a form sends for our own use, never about the person.
CONTROL_KEYS = frozenset({"lang", "redirect", "csrfmiddlewaretoken"})

INTEREST_WORDS = {
    Interest.BUY: {"buy", "buying", "purchase", "sale", "for_sale", "own", "شراء", "تملك", "بيع"},
    Interest.RENT: {"rent", "renting", "rental", "lease", "to_rent", "إيجار", "ايجار", "استئجار"},
    Interest.OFF_PLAN: {"off_plan", "offplan", "off_plan_project", "على_الخارطة"},
}
LANGUAGE_WORDS = {
    "en": {"en", "english", "انجليزي", "الإنجليزية", "الانجليزية"},
    "ar": {"ar", "arabic", "عربي", "العربية"},
}
STUDIO_RE = re.compile(r"studio|استوديو|ستوديو", re.IGNORECASE)
FIRST_INT_RE = re.compile(r"\d+")
KEY_RE = re.compile(r"[^\w]+", re.UNICODE)


def field_key(name: str) -> str:
    """`What is your budget?`, `what_is_your_budget?` and `What-is-your-Budget` are one key."""
    return KEY_RE.sub("_", (name or "").strip().lower()).strip("_")


def question_text(name: str) -> str:
    """A snake-cased question back into words for a person: `when_are_you_planning_to_buy?`."""
    words = re.sub(r"[_\s]+", " ", (name or "").strip()).strip()
    return words[:1].upper() + words[1:]


def answer_text(value: str) -> str:
    """Meta sends multiple-choice answers snake-cased (`within_3_months`)."""
    text = value.strip()
    if "_" in text and " " not in text:
        text = text.replace("_", " ")
    return text


@dataclass
class ParsedFields:
    """An inquiry, plus which submitted field each part came from (to put errors next to the
    field the sender knows) and whether the honeypot was filled."""

    inquiry: Inquiry
    field_names: dict[str, str] = field(default_factory=dict)
    honeypot_filled: bool = False


def budget_parse(text: str, *, default_currency: str) -> tuple[Decimal | None, Decimal | None, str]:
    """`AED 3M - 5M` → (3000000, 5000000, "AED"); `up to 1.2m` → (None, 1200000, default), as
    `leads.budgets` reads it. Raises ValueError when there is no amount to read (a placeholder
    such as "n/a" included), so the answer is kept word for word in the message."""
    budget = budgets.budget_parse(text, currency=default_currency)
    if budget is None:
        raise ValueError("no amount")
    return budget.low, budget.high, budget.currency


def bedrooms_parse(text: str) -> int:
    plain = (text or "").translate(ARABIC_DIGITS)
    if STUDIO_RE.search(plain):
        return 0
    match = FIRST_INT_RE.search(plain)
    if match is None or int(match.group()) > 20:
        raise ValueError("no bedrooms")
    return int(match.group())


def _word_lookup(value: str, table: dict) -> str | None:
    key = field_key(value)
    for result, words in table.items():
        if key in words:
            return str(result)
    return None


def _classify(key: str) -> str | None:
    """Which part of an inquiry a field is, by its normalised name."""
    if key in NAME_KEYS:
        return "name"
    if key in FIRST_NAME_KEYS:
        return "first_name"
    if key in LAST_NAME_KEYS:
        return "last_name"
    if key in PHONE_KEYS or key.endswith(("_phone", "_mobile", "phone_number")):
        return "phone"
    if key in EMAIL_KEYS or key.endswith("_email"):
        return "email"
    if key in MESSAGE_KEYS:
        return "message"
    if key in ("budget_min", "min_budget", "budget_from"):
        return "budget_min"
    if key in ("budget_max", "max_budget", "budget_to"):
        return "budget_max"
    if "budget" in key or key in ("price", "price_range"):
        return "budget"
    if "bedroom" in key or key in ("beds", "bedrooms", "bhk"):
        return "bedrooms"
    if key in MULTI_COMMUNITY_KEYS:
        return "communities"
    if "community" in key or key in ("area", "location", "preferred_area", "preferred_location"):
        return "community"
    if key in INTEREST_KEYS or "buy_or_rent" in key or "rent_or_buy" in key:
        return "interest"
    if key in PROPERTY_TYPE_KEYS:
        return "property_type"
    if key in LANGUAGE_KEYS:
        return "language"
    if key in NATIONALITY_KEYS:
        return "nationality"
    if key.startswith("utm_") or key in CLICK_ID_KEYS:
        return "tracking"
    if key in PAGE_KEYS:
        return "page_url"
    return None


def inquiry_from_fields(
    fields: list[tuple[str, str]],
    *,
    source: str,
    default_currency: str,
    honeypot: str | None = None,
    source_details: dict | None = None,
) -> ParsedFields:
    """Build an inquiry from (name, value) pairs in the order they were sent. A name may
    repeat (several phones, a multiple-choice answer)."""
    inquiry = Inquiry(source=source, source_details=dict(source_details or {}))
    parsed = ParsedFields(inquiry=inquiry)
    names: dict[str, str] = parsed.field_names
    first_name = last_name = ""
    notes: list[str] = []
    message_parts: list[str] = []
    for raw_name, raw_value in fields[:MAX_FIELDS]:
        value = (raw_value or "").strip()[:MAX_VALUE_LENGTH]
        key = field_key(raw_name)
        if honeypot is not None and key == honeypot:
            parsed.honeypot_filled = parsed.honeypot_filled or bool(value)
            continue
        if not value or not key or key in CONTROL_KEYS:
            continue
        kind = _classify(key)
        if kind == "name":
            inquiry.full_name = inquiry.full_name or value
            names.setdefault("full_name", raw_name)
        elif kind == "first_name":
            first_name = first_name or value
        elif kind == "last_name":
            last_name = last_name or value
        elif kind == "phone":
            inquiry.phones.append(value)
            names.setdefault("phones", raw_name)
        elif kind == "email":
            if not inquiry.email:
                inquiry.email = value
                names.setdefault("email", raw_name)
        elif kind == "message":
            message_parts.append(value)
        elif kind in ("budget", "budget_min", "budget_max"):
            try:
                low, high, currency = budget_parse(value, default_currency=default_currency)
            except ValueError:
                notes.append(f"{question_text(raw_name)}: {answer_text(value)}")
                continue
            if kind == "budget_min":
                inquiry.budget_min = low if low is not None else high
            elif kind == "budget_max":
                inquiry.budget_max = high if high is not None else low
            else:
                inquiry.budget_min, inquiry.budget_max = low, high
            inquiry.budget_currency = currency
        elif kind == "bedrooms" and inquiry.bedrooms is None:
            try:
                inquiry.bedrooms = bedrooms_parse(value)
            except ValueError:
                notes.append(f"{question_text(raw_name)}: {answer_text(value)}")
        elif kind == "communities":
            inquiry.communities += [c.strip() for c in re.split(r"[,،;]", value) if c.strip()]
        elif kind == "community":
            inquiry.communities.append(answer_text(value))
        elif kind == "interest" and not inquiry.interest:
            interest = _word_lookup(value, INTEREST_WORDS)
            if interest:
                inquiry.interest = interest
            else:
                notes.append(f"{question_text(raw_name)}: {answer_text(value)}")
        elif kind == "property_type" and not inquiry.property_type:
            inquiry.property_type = answer_text(value)[:40]
        elif kind == "language" and not inquiry.preferred_language:
            language = _word_lookup(value, LANGUAGE_WORDS)
            if language:
                inquiry.preferred_language = language
            elif re.fullmatch(r"[a-z]{2}", value.lower()):
                inquiry.preferred_language = value.lower()
        elif kind == "nationality" and not inquiry.nationality:
            if re.fullmatch(r"[A-Za-z]{2}", value):
                inquiry.nationality = value.upper()
            else:
                notes.append(f"{question_text(raw_name)}: {answer_text(value)}")
        elif kind == "tracking":
            inquiry.source_details[key] = value[:MAX_DETAIL_LENGTH]
        elif kind == "page_url":
            inquiry.source_details.setdefault("page_url", value[:MAX_DETAIL_LENGTH])
        else:
            notes.append(f"{question_text(raw_name)}: {answer_text(value)}")
    if not inquiry.full_name and (first_name or last_name):
        inquiry.full_name = f"{first_name} {last_name}".strip()
        names.setdefault("full_name", "first_name")
    # De-duplicate communities keeping the order they were given.
    inquiry.communities = list(dict.fromkeys(c[:80] for c in inquiry.communities))
    inquiry.message = "\n".join([*message_parts, *notes])[:MAX_VALUE_LENGTH]
    return parsed

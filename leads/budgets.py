"""Budgets as people write them: "1,200,000", "AED 4,000,000", "3.5M", "85000/yr", "3 - 5M",
"from 800k USD", "2M+", "٢٥٠٠٠٠٠ درهم", "1,5 مليون".

One reader for every source that sends a budget as text: website and Meta forms
(`leads.capture.fields`) and lead files (`leads.imports.rows`). It touches no database, and an
import calls it for every row in worker processes, so answers are remembered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Arabic-Indic and Persian digits, and the Arabic decimal and thousands separators.
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
MAX_BUDGET = Decimal("999999999999.99")  # Lead.budget_min and budget_max: numeric(14, 2)
CENT = Decimal("0.01")

_NOTHING = frozenset({"-", "–", "n/a", "N/A", "NA", "غير محدد"})
_MULTIPLIERS = {
    "k": Decimal(1_000),
    "thousand": Decimal(1_000),
    "ألف": Decimal(1_000),
    "الف": Decimal(1_000),
    "m": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "mln": Decimal(1_000_000),
    "mil": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "مليون": Decimal(1_000_000),
    "b": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
    "مليار": Decimal(1_000_000_000),
}
_AMOUNT = re.compile(
    r"(\d[\d,.' \u00a0]*\d|\d)\s*"
    r"(thousand|million|billion|mln|mil|mn|bn|k|m|b|ألف|الف|مليون|مليار)?(?![a-z])",
    re.IGNORECASE,
)
# A number that counts rooms or area, not money: "AED 1.2M (2 BR)", "1,200 sqft".
_NOT_MONEY = re.compile(
    r"\s*(?:br|bed|beds|bedroom|bedrooms|bhk|rooms?|sq\.?\s*ft|sqft|sqm|m2|m²|غرف|غرفة|غرفتين"
    r"|قدم|متر)(?![a-z])",
    re.IGNORECASE,
)
_RANGE = re.compile(r"\d\s*[kmb]?\s*(?:-|–|—|~|\bto\b|إلى|الى)\s*\d", re.IGNORECASE)
_FROM = re.compile(
    r"\b(?:from|above|over|starting|min(?:imum)?)\b|>|أكثر من|ابتداء|^\s*من\b", re.IGNORECASE
)
_PER_YEAR = re.compile(
    r"/\s*(?:yr|year|y|annum|pa)\b|\bper\s+(?:year|annum)|\byearly\b|\bannual(?:ly)?\b|\bp\.?a\b"
    r"|سنوي|سنويا|بالسنة|في السنة",
    re.IGNORECASE,
)
_PER_MONTH = re.compile(
    r"/\s*(?:mo|month|m)\b|\bper\s+month|\bmonthly\b|\bpcm\b|شهري|شهريا|بالشهر|في الشهر",
    re.IGNORECASE,
)
CURRENCY_WORDS = {
    "AED": ("aed", "dhs", "dh", "درهم", "د.إ"),
    "SAR": ("sar", "ريال"),
    "USD": ("usd", "$", "دولار"),
    "EUR": ("eur", "€"),
    "GBP": ("gbp", "£"),
    "QAR": ("qar",),
    "KWD": ("kwd",),
    "BHD": ("bhd",),
    "OMR": ("omr",),
    "INR": ("inr", "₹"),
}
_CURRENCY_CODES = {word: code for code, words in CURRENCY_WORDS.items() for word in words}
# A Latin code counts as a word of its own ("AED3M", not the "sar" of "Sarah"); a sign or an
# Arabic word wherever it is ("US$", "بالدرهم").
_CURRENCY = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        if word.isascii() and word.isalpha()
        else re.escape(word)
        for word in sorted(_CURRENCY_CODES, key=len, reverse=True)
    ),
    re.IGNORECASE,
)


class BudgetError(ValueError):
    pass


@dataclass(frozen=True)
class Budget:
    """`low` alone for "from 800k" or "2M+", `high` alone for one amount ("1.2M", "up to
    1.2M"), both for a range. `rent` when the amount is per year or per month."""

    low: Decimal | None
    high: Decimal | None
    currency: str
    rent: bool


def currency_named(text: str) -> str:
    """The currency a budget names ("AED 3M", "$2M", "٣ مليون درهم"), the first if several;
    "" when it names none."""
    found = _CURRENCY.search(text or "")
    return _CURRENCY_CODES[found.group().lower()] if found else ""


def _number(text: str) -> Decimal:
    digits = re.sub(r"[ '\u00a0]", "", text)
    if "," in digits and "." in digits:
        if digits.rfind(",") > digits.rfind("."):  # 1.200.000,50
            digits = digits.replace(".", "").replace(",", ".")
        else:  # 1,200,000.50
            digits = digits.replace(",", "")
    elif "," in digits:
        parts = digits.split(",")
        if all(len(p) == 3 for p in parts[1:]):
            digits = "".join(parts)
        else:  # 3,5
            digits = ".".join(parts) if len(parts) == 2 else "".join(parts)
    elif digits.count(".") > 1:
        digits = digits.replace(".", "")
    return Decimal(digits)


def _in_range(value: Decimal, raw: str) -> Decimal:
    """To the cent, and what the column can hold (checked first: a huge number can't be
    rounded)."""
    if value > MAX_BUDGET:
        raise BudgetError(raw)
    value = value.quantize(CENT)
    if value <= 0:
        raise BudgetError(raw)
    return value


@lru_cache(maxsize=8192)
def budget_parse(text: str, *, currency: str) -> Budget | None:
    """The budget in a text, in `currency` unless the text names another. None for an empty
    text or a placeholder ("-", "n/a"); BudgetError when no amount can be read."""
    raw = " ".join((text or "").translate(ARABIC_DIGITS).split())
    if not raw or raw in _NOTHING:
        return None
    matches: list[re.Match] = []
    amounts: list[Decimal] = []
    units: list[Decimal | None] = []
    for match in _AMOUNT.finditer(raw):
        if _NOT_MONEY.match(raw, match.end(1)):
            continue
        try:
            amounts.append(_number(match.group(1)))
        except InvalidOperation:
            continue
        matches.append(match)
        units.append(_MULTIPLIERS.get((match.group(2) or "").lower()))
    if not amounts:
        raise BudgetError(raw)
    if len(amounts) == 2 and not _RANGE.search(raw):
        # Without a range word, a bare small number beside a real amount is not money
        # ("1.2M, 3 kids"): keep the amount.
        small = [i for i in (0, 1) if units[i] is None and amounts[i] < 1000]
        if len(small) == 1:
            keep = 1 - small[0]
            matches, amounts, units = [matches[keep]], [amounts[keep]], [units[keep]]
    low: Decimal | None
    high: Decimal | None
    # Two amounts are a range, however they are joined; of more, the first two are, when a
    # range word ("-", "to", "إلى") says so.
    if len(amounts) == 2 or (len(amounts) > 2 and _RANGE.search(raw)):
        low_unit, high_unit = units[0], units[1]
        if low_unit is None and high_unit is not None and amounts[0] < 1000:
            low_unit = high_unit  # "3 - 5M": the unit written once is the unit of both
        low = _in_range(amounts[0] * (low_unit or 1), raw)
        high = _in_range(amounts[1] * (high_unit or 1), raw)
        low, high = sorted((low, high))
    else:
        amount = _in_range(amounts[0] * (units[0] or 1), raw)
        # One amount is the most they will spend, unless it says "from" or "2M+".
        before, after = raw[: matches[0].start()], raw[matches[0].end() :]
        if _FROM.search(before) or after.strip().startswith("+"):
            low, high = amount, None
        else:
            low, high = None, amount
    return Budget(
        low=low,
        high=high,
        currency=currency_named(raw) or currency,
        rent=bool(_PER_YEAR.search(raw) or _PER_MONTH.search(raw)),
    )

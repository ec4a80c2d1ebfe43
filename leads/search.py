"""Partial search over name (Arabic or Latin), email and phone digits without pg_trgm.

Each lead stores the distinct trigrams of its normalised searchable text in `search_grams`
(GIN-indexed). A query of 3+ characters matches the leads whose grams contain all of the
query's grams (`@>`), then a precise check on the normalised text removes false positives.
"""

from __future__ import annotations

import re
import unicodedata

ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
)
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
SEPARATORS = re.compile(r"[\s\-_.()+,@]+")
MIN_QUERY = 3


def search_normalise(text: str) -> str:
    """Lower-case, strip Latin accents and Arabic diacritics/tatweel, fold Arabic letter
    variants (أ إ آ → ا, ى → ي, ة → ه), Arabic-Indic digits to ASCII; collapse separators."""
    text = unicodedata.normalize("NFKD", text or "").translate(ARABIC_DIGITS)
    text = "".join(c for c in text if not unicodedata.combining(c) or "\u0600" <= c <= "\u06ff")
    text = ARABIC_DIACRITICS.sub("", text).translate(ARABIC_FOLD).lower()
    return SEPARATORS.sub(" ", text).strip()


def grams_of(text: str) -> set[str]:
    grams: set[str] = set()
    for word in search_normalise(text).split():
        for i in range(len(word) - 2):
            grams.add(word[i : i + 3])
    return grams


def lead_search_grams(*, full_name: str, email: str, phone_digits: str) -> list[str]:
    local_part = (email or "").split("@")[0]
    grams = grams_of(full_name) | grams_of(email) | grams_of(local_part) | grams_of(phone_digits)
    return sorted(grams)


def query_grams(query: str) -> list[str]:
    """The grams a query needs; empty when the query is shorter than three characters."""
    return sorted(grams_of(query))

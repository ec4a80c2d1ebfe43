"""Reads for the lead list: filters, search and keyset pages, the CSV export's rows and saved
views. Merged-away leads are never listed."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from accounts.models import Membership
from leads.models import Lead
from leads.models import SavedView as SavedViewModel
from leads.search import grams_of, search_normalise
from leads.selectors.calendar import start_of_day
from leads.selectors.visibility import leads_visible, leads_visible_by_ids

PAGE_SIZE = 25
# A search whose grams match many rows the precise check then rejects is read in batches; after
# this many batches the page ends early with a "more" link that carries on from there.
SEARCH_MAX_BATCHES = 8
PHONE_QUERY = re.compile(r"^[\s\d+\-().٠-٩۰-۹]+$")


# --- filters and search -----------------------------------------------------------------------


@dataclass
class LeadFilters:
    query: str = ""
    stage_id: int | None = None
    assignee: str = ""  # "", "me", "none" or a membership id as text
    source: str = ""
    tag: str = ""
    community: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None


@dataclass(frozen=True)
class SearchTerms:
    """A query split into the words a lead must contain, and the grams the index needs."""

    words: tuple[str, ...]
    grams: tuple[str, ...]
    # A query that looks like a phone number searches phone numbers only.
    phone: bool = False

    @property
    def usable(self) -> bool:
        return bool(self.grams)


def _calling_code() -> str:
    """The agency's country calling code ("971" in the UAE), as phones are stored after it."""
    import phonenumbers

    country = getattr(getattr(connection, "tenant", None), "country", None) or "AE"
    return str(phonenumbers.country_code_for_region(country) or 971)


def search_terms(query: str) -> SearchTerms:
    """Phones are stored as E.164 digits (`971501234567`), so a query that looks like a phone
    becomes one run of digits, without the `00` or `0` people type before a number:
    `050 123`, `+971 50` and `00971 50` all search digits that appear in the stored form; `050`
    alone, too short once its `0` is gone, searches numbers of the agency's country starting
    `97150`."""
    text = (query or "").strip()
    if not text:
        return SearchTerms((), ())
    phone = bool(PHONE_QUERY.match(text)) and any(c.isdigit() for c in text)
    if phone:
        digits = "".join(search_normalise(text).split())
        digits = re.sub(r"\D", "", digits)
        if digits.startswith("00"):
            digits = digits[2:]
        elif digits.startswith("0"):
            digits = digits[1:]
            if len(digits) < 3:
                # "050", "05": the start of a number of the agency's country, typed the local
                # way. Too short alone, but anchored after the country code it narrows well.
                digits = _calling_code() + digits
        words: tuple[str, ...] = (digits,) if digits else ()
    else:
        words = tuple(dict.fromkeys(search_normalise(text).split()))
    grams: set[str] = set()
    for word in words:
        grams |= grams_of(word)
    return SearchTerms(words, tuple(sorted(grams)), phone=phone)


def lead_matches_terms(lead: Lead, terms: SearchTerms) -> bool:
    """The precise check behind the gram index: every query word is part of one word of the
    lead's name, email or phone digits (grams alone may come from different words). Digits
    typed like a phone number must be part of one of the lead's phone numbers."""
    if terms.phone:
        return all(term in lead.phone_digits for term in terms.words)
    words = (
        search_normalise(lead.full_name).split()
        + search_normalise(lead.email).split()
        + lead.phone_digits.split()
    )
    return all(any(term in word for word in words) for term in terms.words)


# How a search reaches its rows. Leads come newest first, a page at a time, and two ways can
# find them. Walking the (created_at, id) index from the newest lead and checking each row
# reads the table in order, cheaply, and stops when the page is full: best when many leads
# match (a common first name, "gmail"). The GIN index on `search_grams` finds every row that
# holds the query's grams, each fetched from a random place: best when few match (six phone
# digits, a full name). PostgreSQL's own estimate multiplies the grams' frequencies as if they
# were independent, which badly underestimates the letters of one name ("ahm", "hme", "med"
# come together), so it would fetch ten thousand "Ahmed"s one random page at a time. Here a
# word of letters counts as rare as its rarest gram (names come from a vocabulary), a run of
# digits as the product of grams that do not overlap (phone numbers are close to random), and
# a word too short for grams, which only the row check can test, as matching one lead in
# twenty, and phone digits as described in `_phone_selectivity`. Gram frequencies come from
# ANALYZE's statistics, read once per agency every few minutes. A row fetched at random costs
# about eight read in order (measured on a million leads).

STATS_SECONDS = 600
RANDOM_FETCH_COST = 8.0
PHONE_WALK_COST = 0.5
SHORT_WORD_SELECTIVITY = 0.05
PHONE_DIGITS = 12  # an E.164 mobile number in the Gulf, country code included


@dataclass(frozen=True)
class GramStats:
    rows: float
    frequencies: dict[str, float]
    floor: float
    read_at: float


_gram_stats: dict[tuple[str, str], GramStats] = {}


def gram_stats(column: str = "search_grams") -> GramStats:
    """Row count and element frequencies of an array column of this agency's leads
    (`search_grams`, `tags` or `communities`), from the planner statistics."""
    schema = connection.schema_name
    cached = _gram_stats.get((schema, column))
    if cached is not None and time.monotonic() - cached.read_at < STATS_SECONDS:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stats s
              ON s.schemaname = n.nspname AND s.tablename = c.relname
             AND s.attname = %s
            WHERE n.nspname = %s AND c.relname = 'leads_lead'
            """,
            [column, schema],
        )
        row = cursor.fetchone()
    rows, elements, freqs = row if row else (0.0, None, None)
    frequencies: dict[str, float] = {}
    floor = 0.005  # PostgreSQL's default containment selectivity
    if elements and freqs and len(freqs) >= len(elements) + 2:
        frequencies = dict(zip(elements, freqs[: len(elements)], strict=True))
        floor = min(floor, freqs[len(elements)] / 2)
    stats = GramStats(max(float(rows or 0), 0.0), frequencies, floor, time.monotonic())
    _gram_stats[(schema, column)] = stats
    return stats


def _phone_selectivity(digits: str, stats: GramStats) -> float:
    """Phone digits: the leading digits nearly every number shares (country and mobile
    prefix, whose grams nearly every lead holds) narrow nothing; the next digit narrows as
    much as the statistics say it follows them; each digit after that is one in ten. Digits
    not anchored there may sit at any place in a number."""

    def frequency(gram: str) -> float:
        return stats.frequencies.get(gram, stats.floor)

    start = 0
    while start + 3 <= len(digits) and frequency(digits[start : start + 3]) > 0.5:
        start += 1
    if not start:
        return min(1.0, max(1, PHONE_DIGITS - len(digits) + 1) * 10.0 ** -len(digits))
    if start + 3 > len(digits):
        return frequency(digits[-3:])
    following = frequency(digits[start : start + 3]) / frequency(digits[start - 1 : start + 2])
    return min(1.0, following) * 10.0 ** -(len(digits) - start - 3)


def _word_selectivity(word: str, stats: GramStats, *, phone: bool = False) -> float:
    grams = sorted(grams_of(word))
    if not grams:
        return SHORT_WORD_SELECTIVITY
    if phone:
        return _phone_selectivity(word, stats)
    if word.isdigit():
        cover = [word[i : i + 3] for i in range(0, len(word) - 2, 3)]
        if len(word) % 3:
            cover.append(word[-3:])
        selectivity = 1.0
        for gram in cover:
            selectivity *= stats.frequencies.get(gram, stats.floor)
        return selectivity
    return min(stats.frequencies.get(gram, stats.floor) for gram in grams)


def search_walks_index(terms: SearchTerms, *, batch: int) -> bool:
    """Whether walking the newest-first index is cheaper than the GIN index for this search:
    the walk reads about batch x rows / matches rows; the GIN fetches every row holding the
    grams (the short words are checked only after the fetch)."""
    stats = gram_stats()
    if stats.rows < 10_000:
        return False
    with_grams = 1.0
    everything = 1.0
    for word in terms.words:
        selectivity = _word_selectivity(word, stats, phone=terms.phone)
        everything *= selectivity
        if grams_of(word):
            with_grams *= selectivity
    walk_rows = batch / max(everything, 1.0 / stats.rows)
    # A walk checks phone digits with a plain substring test, far cheaper than the grams.
    walk_cost = walk_rows * (PHONE_WALK_COST if terms.phone else 1.0)
    fetched_rows = with_grams * stats.rows
    return walk_cost < fetched_rows * RANDOM_FETCH_COST


WALK_SETTINGS = ("enable_seqscan", "enable_bitmapscan", "max_parallel_workers_per_gather")
# With plain index scans off, a filter on an indexed array is answered by its GIN index.
GIN_SETTINGS = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")


@contextmanager
def _planner_without(settings: tuple[str, ...]) -> Iterator[None]:
    """Turn planner features off for the next query only: the settings are the transaction's
    own and are put back straight after."""
    with transaction.atomic(), connection.cursor() as cursor:
        for name in settings:
            cursor.execute(f"SET LOCAL {name} = 0")
        try:
            yield
        finally:
            for name in settings:
                cursor.execute(f"SET LOCAL {name} TO DEFAULT")


def newest_first_walk():
    """Make PostgreSQL answer the next query by walking the newest-first index: with scans
    of the whole table and bitmap scans off, nothing else can return rows in that order."""
    return _planner_without(WALK_SETTINGS)


def element_is_rare(column: str, value: str, *, batch: int) -> bool:
    """Whether a filter on one element of an array column (`tags`, `communities`) should go
    through the column's GIN index rather than walk the list: PostgreSQL guesses one lead in
    two hundred for any value, so for one few leads carry it walks the whole table looking
    for a page of them."""
    stats = gram_stats(column)
    if stats.rows < 10_000:
        return False
    share = stats.frequencies.get(value, min(stats.floor, 0.001))
    return share * stats.rows * RANDOM_FETCH_COST < batch / max(share, 1.0 / stats.rows)


def search_condition(terms: SearchTerms, *, walk: bool = False) -> Q:
    """Rows holding every gram of the query, plus the short words (too short for grams) in
    the name or email, where plain lower-casing is enough to find them. A walk checks phone
    digits directly, which costs less than reading the row's grams."""
    if walk and terms.phone:
        return Q(phone_digits__contains=terms.words[0])
    condition = Q(search_grams__contains=list(terms.grams))
    for word in terms.words:
        if len(word) < 3 and word.isascii() and word.isalpha():
            condition &= Q(full_name__icontains=word) | Q(email__icontains=word)
    return condition


def leads_filtered(
    *,
    actor: Membership,
    filters: LeadFilters,
    terms: SearchTerms | None = None,
    walk: bool = False,
) -> QuerySet[Lead]:
    """The visible leads that pass the filters, newest first. A search adds the gram
    containment (`@>`, answered by the GIN index); callers re-check each row with
    `lead_matches_terms`, which `leads_page` does."""
    leads = leads_visible(actor=actor)
    if filters.stage_id:
        leads = leads.filter(stage_id=filters.stage_id)
    if filters.assignee == "me":
        leads = leads.filter(assignee=actor)
    elif filters.assignee == "none":
        leads = leads.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        leads = leads.filter(assignee_id=int(filters.assignee))
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.tag:
        leads = leads.filter(tags__contains=[filters.tag])
    if filters.community:
        leads = leads.filter(communities__contains=[filters.community])
    if filters.created_from:
        leads = leads.filter(created_at__gte=start_of_day(filters.created_from))
    if filters.created_to:
        leads = leads.filter(created_at__lt=start_of_day(filters.created_to + dt.timedelta(days=1)))
    # A lead's budget is a range; it fits when it overlaps the range asked for.
    if filters.budget_min is not None:
        leads = leads.filter(
            Q(budget_max__gte=filters.budget_min)
            | Q(budget_max__isnull=True, budget_min__gte=filters.budget_min)
        )
    if filters.budget_max is not None:
        leads = leads.filter(
            Q(budget_min__lte=filters.budget_max)
            | Q(budget_min__isnull=True, budget_max__lte=filters.budget_max)
        )
    if terms is not None and terms.usable:
        leads = leads.filter(search_condition(terms, walk=walk))
    return leads.order_by("-created_at", "-id")


# --- keyset pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    created_at: dt.datetime
    lead_id: int

    def encode(self) -> str:
        micros = int(self.created_at.timestamp() * 1_000_000)
        return f"{micros}.{self.lead_id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """None for anything that is not a cursor we made; a bad link shows page one."""
        match = re.fullmatch(r"(\d{1,17})\.(\d{1,18})", (text or "").strip())
        if not match:
            return None
        try:
            moment = dt.datetime.fromtimestamp(int(match[1]) / 1_000_000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(created_at=moment, lead_id=int(match[2]))

    @classmethod
    def of(cls, lead: Lead) -> Cursor:
        return cls(created_at=lead.created_at, lead_id=lead.pk)


@dataclass
class LeadPage:
    leads: list[Lead]
    next_cursor: str | None
    search_too_short: bool = False
    searched: bool = False
    extras: dict = field(default_factory=dict)


def after_cursor(leads: QuerySet[Lead], cursor: Cursor | None) -> QuerySet[Lead]:
    """Rows after the cursor in (created_at desc, id desc) order, written so PostgreSQL scans
    the (created_at, id) index from the cursor on: no OFFSET, no COUNT(*)."""
    if cursor is None:
        return leads
    return leads.filter(created_at__lte=cursor.created_at).exclude(
        created_at=cursor.created_at, id__gte=cursor.lead_id
    )


def leads_page(
    *,
    actor: Membership,
    filters: LeadFilters,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
) -> LeadPage:
    terms = search_terms(filters.query)
    too_short = bool(filters.query.strip()) and not terms.usable
    # Walking the index stops as soon as a page (and one more, to know there is a next) has
    # matched; a GIN search fetches its matches anyway, so it reads a bigger batch.
    walk = terms.usable and search_walks_index(terms, batch=size + 1)
    batch_size = size + 1 if walk else max(size * 2, 50)
    # The grams are only for the index; reading them back would be wasted work.
    base = (
        leads_filtered(actor=actor, filters=filters, terms=terms, walk=walk)
        .select_related("stage")
        .defer("search_grams")
    )
    position = Cursor.decode(cursor)
    if not terms.usable:
        rare = (filters.tag and element_is_rare("tags", filters.tag, batch=size + 1)) or (
            filters.community and element_is_rare("communities", filters.community, batch=size + 1)
        )
        with _planner_without(GIN_SETTINGS) if rare else nullcontext():
            rows = list(after_cursor(base, position)[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        next_cursor = Cursor.of(rows[-1]).encode() if has_more and rows else None
        return LeadPage(rows, next_cursor, search_too_short=too_short)

    found: list[Lead] = []
    exhausted = False
    last_seen: Lead | None = None
    for _ in range(SEARCH_MAX_BATCHES):
        with newest_first_walk() if walk else nullcontext():
            batch = list(after_cursor(base, position)[:batch_size])
        for lead in batch:
            last_seen = lead
            if lead_matches_terms(lead, terms):
                found.append(lead)
                if len(found) > size:
                    break
        if len(found) > size:
            break
        if len(batch) < batch_size:
            exhausted = True
            break
        position = Cursor.of(batch[-1])
        # Few rows passed the precise check: ask for more at a time.
        batch_size *= 2
    if len(found) > size:
        return LeadPage(found[:size], Cursor.of(found[size - 1]).encode(), searched=True)
    if exhausted or last_seen is None:
        return LeadPage(found, None, searched=True)
    return LeadPage(found, Cursor.of(last_seen).encode(), searched=True)


def lead_search(*, actor: Membership, query: str, limit: int = PAGE_SIZE) -> list[Lead]:
    """The first leads matching a search, newest first (the lead picker and the bench)."""
    return leads_page(actor=actor, filters=LeadFilters(query=query), size=limit).leads


def leads_for_export(*, actor: Membership, lead_ids: Iterable[int]) -> QuerySet[Lead]:
    return (
        leads_visible_by_ids(actor=actor, lead_ids=lead_ids)
        .select_related("stage")
        .order_by("-created_at", "-id")
    )


# --- stages, people, saved views --------------------------------------------------------------


def saved_views(*, actor: Membership) -> QuerySet[SavedViewModel]:
    return SavedViewModel.objects.filter(owner=actor).order_by("name")


def saved_view_for_actor(*, actor: Membership, view_id: int) -> SavedViewModel | None:
    return SavedViewModel.objects.filter(owner=actor, pk=view_id).first()

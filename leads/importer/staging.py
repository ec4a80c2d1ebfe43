"""Cleaning an import's rows in chunks, on every core that helps.

The parent process streams the file and hands out chunks of rows; worker processes (forked,
so they share the loaded code and translations) clean each row (`rows.row_clean`), fold
repeats of the same person inside the chunk into the first row that names them, and return
the chunk as ready-to-COPY bytes for the staging table plus the rows with problems. Workers
never touch the database, and nothing personal is logged: only job ids and counts.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from core.phones import phone_digits
from leads.fields import FILLED_WHEN_EMPTY, FILLED_WHEN_UNSET, STAGED, Kind, LeadField
from leads.importer.rows import CleanRow, RowPlan, row_clean
from leads.inquiries.inquiry import inquiry_lead_values
from leads.search import SEPARATORS, search_normalise

logger = logging.getLogger(__name__)

# Columns of the staging table, in COPY order (see leads.services.imports._STAGING_DDL): the
# row and the first row of the same person, the lead's staged fields (`leads.fields.STAGED`),
# then what the row's timeline entry says.
STAGED_NAMES = tuple(field.name for field in STAGED)
STAGING_COLUMNS = ("row_no", "root_no", *STAGED_NAMES, "message", "original_source")
_SQL_TYPES = {
    Kind.TEXT: "text",
    Kind.CODE: "text",
    Kind.PHONES: "varchar[]",
    Kind.TEXTS: "varchar[]",
    Kind.NUMBER: "integer",
    Kind.AMOUNT: "numeric",
}


def staged_sql_type(field: LeadField) -> str:
    """The type of a staged field's column in the import's temporary tables."""
    return _SQL_TYPES[field.kind]


NULL = "\\N"


@dataclass
class Problem:
    row_no: int
    values: list[str]
    reason: str
    rejected: bool


@dataclass
class ChunkResult:
    rows: int = 0
    accepted: int = 0
    payload: bytes = b""
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.problems if p.rejected)


# --- search grams, as leads.search computes them, with a memo per word ---------------------


def _grams_of_normal(text: str) -> set[str]:
    return {part[i : i + 3] for part in text.split() for i in range(len(part) - 2)}


@lru_cache(maxsize=16384)
def _word_grams(word: str) -> frozenset[str]:
    if word.isascii():
        # For ASCII text search_normalise reduces to lower-casing and collapsing separators.
        return frozenset(_grams_of_normal(SEPARATORS.sub(" ", word.lower())))
    return frozenset(_grams_of_normal(search_normalise(word)))


def search_grams_fast(*, full_name: str, email: str, phone_digits: str) -> list[str]:
    """The same list as `leads.search.lead_search_grams` (a test holds them equal): the
    normalisation works word by word, so the grams of a text are the union of the grams of
    its words, and the words of names repeat across an import."""
    grams: set[str] = set()
    for word in (full_name or "").split():
        grams |= _word_grams(word)
    # Emails and phone digits are new in nearly every row: not worth remembering. The local
    # part of an email ends at "@", a separator, so its grams are among the email's.
    if email:
        grams |= (
            _grams_of_normal(SEPARATORS.sub(" ", email.lower()))
            if email.isascii()
            else _word_grams(email)
        )
    if phone_digits:
        grams |= _grams_of_normal(phone_digits)
    return sorted(grams)


# --- values of the lead a chunk will create, and repeats folded into it ----------------------


def lead_values_absorb(values: dict, other: dict) -> bool:
    """A repeat of the same person: fill in what the lead lacked and add new phones and
    communities, as `lead_capture` does for a repeat inquiry. True if anything changed."""
    changed = False
    new_phones = [p for p in other["phones"] if p not in values["phones"]]
    if new_phones:
        values["phones"] = [*values["phones"], *new_phones]
        changed = True
    for name in FILLED_WHEN_EMPTY:
        if not values[name] and other[name]:
            values[name] = other[name]
            changed = True
    for name in FILLED_WHEN_UNSET:
        if values[name] is None and other[name] is not None:
            values[name] = other[name]
            changed = True
    extra = [c for c in other["communities"] if c and c not in values["communities"]]
    if extra:
        values["communities"] = [*values["communities"], *extra]
        changed = True
    return changed


def lead_values_derive(values: dict) -> None:
    """The columns computed from others, exactly as `lead_capture` computes them."""
    values["phone_digits"] = " ".join(phone_digits(p) for p in values["phones"])
    values["search_grams"] = search_grams_fast(
        full_name=values["full_name"], email=values["email"], phone_digits=values["phone_digits"]
    )


# --- COPY text format -------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})


def copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


_ARRAY_SPECIAL = re.compile(r'["\\\t\n\r\x00]')


def copy_array(items: list[str]) -> str:
    if not items:
        return "{}"
    joined = '","'.join(items)
    if not _ARRAY_SPECIAL.search(joined):
        return '{"' + joined + '"}'
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return copy_text("{" + ",".join(quoted) + "}")


def copy_value(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, list):
        return copy_array(value)
    if isinstance(value, str):
        return copy_text(value)
    return str(value)


def staging_line(row_no: int, root_no: int, values: dict | None, extra: dict) -> str:
    if values is None:  # a repeat: only what its timeline entry needs
        cells = [str(row_no), str(root_no)] + [NULL] * len(STAGED_NAMES)
    else:
        cells = [str(row_no), str(root_no), *(copy_value(values[name]) for name in STAGED_NAMES)]
    cells += [copy_text(extra["message"]), copy_text(extra["original_source"])]
    return "\t".join(cells)


# --- one chunk ------------------------------------------------------------------------------


def chunk_process(plan: RowPlan, rows: list[tuple[int, list[str]]]) -> ChunkResult:
    result = ChunkResult(rows=len(rows))
    roots: dict[str, int] = {}  # a phone or an email → the first row in the chunk naming it
    accepted: list[tuple[int, int]] = []  # (row_no, root_no)
    values_by_root: dict[int, dict] = {}
    extras: dict[int, dict] = {}
    for row_no, cells in rows:
        cleaned: CleanRow = row_clean(cells, plan)
        if cleaned.problems:
            result.problems.append(
                Problem(
                    row_no=row_no,
                    values=cells,
                    reason=" ".join(cleaned.problems),
                    rejected=cleaned.rejected,
                )
            )
        if cleaned.inquiry is None:
            continue
        inquiry = cleaned.inquiry
        keys = [*inquiry.phones, *([inquiry.email] if inquiry.email else [])]
        root_no = next((roots[k] for k in keys if k in roots), row_no)
        values = inquiry_lead_values(inquiry)
        if root_no == row_no:
            values_by_root[row_no] = values
        else:
            lead_values_absorb(values_by_root[root_no], values)
        for key in keys:
            roots.setdefault(key, root_no)
        extras[row_no] = {"message": inquiry.message, "original_source": cleaned.original_source}
        accepted.append((row_no, root_no))
    lines = []
    for row_no, root_no in accepted:
        values = values_by_root.get(row_no) if row_no == root_no else None
        if values is not None:
            lead_values_derive(values)
        lines.append(staging_line(row_no, root_no, values, extras[row_no]))
    result.accepted = len(accepted)
    result.payload = ("\n".join(lines) + "\n").encode() if lines else b""
    return result


_worker_plan: RowPlan | None = None


def _worker_start(plan: RowPlan) -> None:
    global _worker_plan
    _worker_plan = plan


def _worker_chunk(rows: list[tuple[int, list[str]]]) -> ChunkResult:
    assert _worker_plan is not None
    return chunk_process(_worker_plan, rows)


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a Celery prefork child start the pool. Celery's pool children are daemonic, and
    multiprocessing refuses children to a daemonic process lest they outlive it as orphans.
    Ours cannot: the pool is terminated and joined before the task returns, and if this
    process dies its workers read end-of-file on their task pipe and exit."""
    process = multiprocessing.current_process()
    daemonic = process._config.get("daemon")
    process._config["daemon"] = False
    try:
        yield
    finally:
        if daemonic is None:
            process._config.pop("daemon", None)
        else:
            process._config["daemon"] = daemonic


def chunks_of(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[list]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunks_cleaned(
    plan: RowPlan, chunks: Iterable[list[tuple[int, list[str]]]], *, processes: int
) -> Iterator[ChunkResult]:
    """Results in file order. With several processes, at most processes + 1 chunks are in
    flight, so memory stays flat however long the file is while the parent writes one chunk
    and the workers clean the next ones."""
    if processes <= 1:
        for chunk in chunks:
            yield chunk_process(plan, chunk)
        return
    # fork: workers inherit Django, the translations and the plan without re-importing.
    context = multiprocessing.get_context("fork")
    with (
        _children_allowed(),
        context.Pool(processes, initializer=_worker_start, initargs=(plan,)) as pool,
    ):
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_worker_chunk, (chunk,)))
            del chunk  # the worker has its copy; the parent keeps nothing of the rows
            if len(pending) > processes:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

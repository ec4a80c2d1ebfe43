"""How lead search scales: 1,000,000 leads against 1,000, and against its index disabled.

    make bench                               # with every other benchmark
    python -m bench.search                   # this one (inside `aqari.embedded run`)
    BENCH_SEARCH_ROUNDS=5 ...                # rounds over the query set (default 3)

The agencies come from `bench.lead_data` (shared with the lead-list benchmark). Each search
is one call of the selector the list page uses, `leads.selectors.lead_search`, as the
agency's manager: the first page (25 leads, newest first) of matches, precise re-check
included. The query set is what people type to find someone:

* part of a Latin name (`khan`, `oliver sm`), in any case;
* part of an Arabic name, with or without hamza (`احمد الكع`, `المنصو`);
* part of an email address (`ahmed.kh`, `@mail.ae`);
* partial phone digits in any format (`4567`, `050 123`, `+97155 12`).

It measures, interleaved, the 95th percentile over the whole set at 1,000 leads and at
1,000,000 (goal: within 3x), then a sample of the same queries at 1,000,000 with and without
the gram index: for each query, once as it is, then once in a transaction that drops every
index on `leads_lead.search_grams`, runs the search and rolls back (goal: at least 10x faster
with the index). The plans are checked with EXPLAIN (each query the selector sends, with the
settings it runs under): without the index none may use an index on `search_grams`, and the
report says how many of the sampled searches use it when it is there (the selector walks the
newest-first index instead when many leads match). Results go to `bench/results/search.json`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bench import results_path

GOAL_SCALE = 3.0
GOAL_INDEX = 10.0


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def queries() -> dict[str, list[str]]:
    """A fixed query set drawn from the names and number formats the agencies hold."""
    from bench.lead_data import ARABIC_FIRST, ARABIC_LAST, LATIN_FIRST, LATIN_LAST

    rng = random.Random(2026)  # noqa: S311 - a fixed sample, not security
    latin = []
    for _ in range(5):
        last = rng.choice(LATIN_LAST)
        latin.append(last[: rng.randint(4, len(last))].lower())
    for _ in range(5):
        latin.append(f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)[:3]}".upper())
    arabic = []
    for _ in range(4):
        last = rng.choice(ARABIC_LAST)
        arabic.append(last[: rng.randint(4, len(last))])
    for _ in range(4):
        first = rng.choice(ARABIC_FIRST).replace("أ", "ا")
        arabic.append(f"{first} {rng.choice(ARABIC_LAST)[:4]}")
    email = []
    for _ in range(5):
        first, last = rng.choice(LATIN_FIRST).lower(), rng.choice(LATIN_LAST).lower()
        email.append(f"{first}.{last[:3]}")
    email += ["@mail.ae", "hotmail.com", "ahmed.khan", "olga.smith", "alkaabi"]
    phone = ["4567", "050 123", "+97155 12", "0501234", "7788", "00971 52 9", "2468", "056 3"]
    phone += [f"{rng.randint(0, 9999):04d}" for _ in range(2)]
    return {"latin name": latin, "arabic name": arabic, "email": email, "phone": phone}


def timed_search(actor, query: str) -> float:
    from leads.selectors.lists import lead_search

    started = time.perf_counter()
    lead_search(actor=actor, query=query)
    return (time.perf_counter() - started) * 1000


def manager_of(schema: str):
    from django_tenants.utils import schema_context

    from accounts.models import Membership

    with schema_context(schema):
        return Membership.objects.get(role="manager")


def gram_indexes(schema: str) -> list[str]:
    """Every index of the agency's lead table that reads `search_grams`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s "
            "AND tablename = 'leads_lead' AND indexdef LIKE %s",
            [schema, "%search_grams%"],
        )
        return [name for (name,) in cursor.fetchall()]


@contextmanager
def gram_indexes_dropped(schema: str, names: list[str]) -> Iterator[None]:
    """The lead table without its gram indexes, for this connection only: dropped inside a
    transaction that is rolled back, so nothing needs rebuilding after."""
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP INDEX {quote(schema)}.{quote(name)}")
        yield
        transaction.set_rollback(True)


def search_plans(actor, query: str) -> list[str]:
    """EXPLAIN of every query on the lead table one search sends, each run just before the
    query itself, in the same transaction and planner settings."""
    from django.db import connection

    plans: list[str] = []

    def explain(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and 'FROM "leads_lead"' in sql:
            raw = context["cursor"].cursor
            raw.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in raw.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        timed_search(actor, query)
    return plans


def uses_any(plans: list[str], names: list[str]) -> bool:
    return any(name in plan for plan in plans for name in names)


def run(rounds: int) -> dict:
    from bench import lead_data

    # Django is set up (on the scratch database) by this call: import it only after.
    data = lead_data.prepared()
    from django.db import connection
    from django_tenants.utils import schema_context

    sets = queries()
    every = [q for group in sets.values() for q in group]
    agencies = {"small": data.small, "large": data.large}
    actors = {key: manager_of(agency.schema_name) for key, agency in agencies.items()}

    samples: dict[str, list[float]] = {"small": [], "large": []}
    by_group: dict[str, dict[str, list[float]]] = {
        key: {group: [] for group in sets} for key in agencies
    }
    for key, agency in agencies.items():  # warm up
        with schema_context(agency.schema_name):
            for query in every:
                timed_search(actors[key], query)
    for _ in range(rounds):
        for group, group_queries in sets.items():
            for query in group_queries:
                for key, agency in agencies.items():
                    with schema_context(agency.schema_name):
                        ms = timed_search(actors[key], query)
                    samples[key].append(ms)
                    by_group[key][group].append(ms)

    # A sample of the same queries, once each, at 1,000,000 with and without the gram index
    # (each then reads much of the table, so a sample keeps the run short).
    sample = [q for group in sets.values() for q in group[:: max(1, len(group) // 3)][:3]]
    large_schema = data.large.schema_name
    with_index: list[float] = []
    without_index: list[float] = []
    using_index: list[str] = []
    with schema_context(large_schema):
        indexes = gram_indexes(large_schema)
        if not indexes:
            raise SystemExit(f"bench: {large_schema}.leads_lead has no index on search_grams")
        for query in sample:
            if uses_any(search_plans(actors["large"], query), indexes):
                using_index.append(query)
            with_index.append(timed_search(actors["large"], query))
            with gram_indexes_dropped(large_schema, indexes):
                if uses_any(search_plans(actors["large"], query), indexes):
                    raise SystemExit(f"bench: {query!r} still used the gram index once dropped")
                without_index.append(timed_search(actors["large"], query))
    connection.set_schema_to_public()

    summary = {
        key: {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(p95(values), 2),
            "max_ms": round(max(values), 2),
            "p95_ms_by_kind": {g: round(p95(v), 2) for g, v in by_group[key].items()},
        }
        for key, values in samples.items()
    }
    scale = summary["large"]["p95_ms"] / summary["small"]["p95_ms"]
    index = p95(without_index) / p95(with_index)
    return {
        "benchmark": "search",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rounds": rounds,
        "queries": sets,
        "small_leads": data.small.leads,
        "large_leads": data.large.leads,
        "searches": summary,
        "index_dropped": {
            "indexes": indexes,
            "p95_ms_with_index": round(p95(with_index), 2),
            "p95_ms_without_index": round(p95(without_index), 2),
            "p50_ms_with_index": round(statistics.median(with_index), 2),
            "p50_ms_without_index": round(statistics.median(without_index), 2),
            "queries": sample,
            "queries_using_index_when_present": using_index,
        },
        "ratio_large_vs_small_p95": round(scale, 2),
        "ratio_without_vs_with_index_p95": round(index, 1),
        "goal_large_vs_small": GOAL_SCALE,
        "goal_index": GOAL_INDEX,
    }


def report(results: dict) -> None:
    small, large = results["searches"]["small"], results["searches"]["large"]
    print()
    print(
        f"Lead search, {sum(len(q) for q in results['queries'].values())} queries x "
        f"{results['rounds']} rounds (first page, precise re-check included)"
    )
    header = f"{'leads':<12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   p95 ms by kind"
    print(header)
    print("-" * (len(header) + 40))
    for label, row in (
        (f"{results['small_leads']:,}", small),
        (f"{results['large_leads']:,}", large),
    ):
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in row["p95_ms_by_kind"].items())
        figures = f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}"
        print(f"{label:<12} {figures}   {kinds}")
    off = results["index_dropped"]
    print(
        f"{results['large_leads']:,} leads, {len(off['queries'])} queries without the gram index "
        f"({', '.join(off['indexes'])} dropped; EXPLAIN: no plan used it): "
        f"p50 {off['p50_ms_without_index']:.1f} ms, p95 {off['p95_ms_without_index']:.1f} ms; "
        f"with it p50 {off['p50_ms_with_index']:.1f} ms, p95 {off['p95_ms_with_index']:.1f} ms"
    )
    print(
        f"  with the index there, {len(off['queries_using_index_when_present'])} of those "
        f"{len(off['queries'])} searches use it (the selector walks the newest-first index "
        "instead when many leads match)"
    )
    scale, index = results["ratio_large_vs_small_p95"], results["ratio_without_vs_with_index_p95"]
    print(
        f"p95 at {results['large_leads']:,} vs {results['small_leads']:,} leads: {scale:.2f}x "
        f"({'meets' if scale <= GOAL_SCALE else 'MISSES'} the {GOAL_SCALE:.0f}x goal)"
    )
    print(
        f"with the index vs without: {index:.1f}x faster "
        f"({'meets' if index >= GOAL_INDEX else 'MISSES'} the {GOAL_INDEX:.0f}x goal)"
    )
    out = results_path("search.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {out}")


def main() -> int:
    rounds = int(os.environ.get("BENCH_SEARCH_ROUNDS", "3"))
    report(run(rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

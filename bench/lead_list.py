"""How the lead list renders at 1,000,000 leads compared with 1,000, and deep in the list.

    make bench                               # with every other benchmark
    python -m bench.lead_list                # this one (inside `aqari.embedded run`)
    BENCH_LEADS_LARGE=200000 ...             # a smaller "large" agency
    BENCH_LIST_REQUESTS=100 ...              # requests per measured page (default 60)

The agencies come from `bench.lead_data` (shared with the search benchmark). Each request
goes through the Django test Client to the real view, signed in as the agency's manager, so
middleware, the selector, and template rendering are all in the time. Pages measured,
interleaved so a slow-down on the shared machine hits each alike:

* page 1 at 1,000 leads and at 1,000,000 leads (goal: p95 within 2x);
* page 5,000 at 1,000,000 leads (25 leads a page, so leads 124,976-125,000), reached by a
  cursor computed once with an OFFSET query (goal: p95 within 1.5x of page 1);
* page 1 filtered by a stage, by a popular community (a tenth of the leads) and by a rare
  one (one lead in 20,000), for information.

Results are printed and written to `bench/results/lead_list.json`.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

RESULTS = Path(__file__).resolve().parent / "results" / "lead_list.json"
DEEP_PAGE = 5000
GOAL_SCALE = 2.0
GOAL_DEEP = 1.5


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def deep_cursor(schema: str, page: int, size: int) -> str:
    """The cursor that opens `page`: the position of the last lead of the page before it."""
    from django_tenants.utils import schema_context

    from leads.models import Lead
    from leads.selectors.lists import Cursor

    with schema_context(schema):
        before = (
            Lead.objects.filter(merged_into__isnull=True)
            .order_by("-created_at", "-id")
            .only("id", "created_at")[(page - 1) * size - 1]
        )
    return Cursor.of(before).encode()


LEAD_LINK = re.compile(r'class="lr-name" href="/leads/(\d+)/"')
MORE_LINK = re.compile(r'id="lead-more".*?href="(\?[^"]*cursor=[^"]+)"', re.S)


def rows_of(html: str) -> list[int]:
    return [int(pk) for pk in LEAD_LINK.findall(html)]


def check_cursor_walk(client, pages: int = 3) -> None:
    """Following the "more" links shows each lead once, newest first."""
    path = "/leads/"
    seen: list[int] = []
    for _ in range(pages):
        html = client.get(path).content.decode()
        seen += rows_of(html)
        path = "/leads/" + unescape(MORE_LINK.search(html)[1])
    if len(seen) != len(set(seen)):
        raise SystemExit("bench: following the cursor repeated a lead")


def run(requests: int) -> dict:
    from bench import lead_data

    # Django is set up (on the scratch database) by this call: import it only after.
    data = lead_data.prepared()
    from django.db import connection
    from django_tenants.utils import schema_context

    from leads.models import PipelineStage
    from leads.selectors.lists import PAGE_SIZE

    small = lead_data.client_for(data.small)
    large = lead_data.client_for(data.large)
    with schema_context(data.large.schema_name):
        viewing = PipelineStage.objects.get(name="Viewing").pk
    connection.set_schema_to_public()
    popular = urlencode({"community": lead_data.COMMUNITIES[1]})
    rare = urlencode({"community": lead_data.RARE_COMMUNITY})
    cursor = deep_cursor(data.large.schema_name, DEEP_PAGE, PAGE_SIZE)
    check_cursor_walk(large)

    pages = {
        "page 1, 1,000 leads": (small, "/leads/"),
        f"page 1, {data.large.leads:,} leads": (large, "/leads/"),
        f"page {DEEP_PAGE:,}, {data.large.leads:,} leads": (large, f"/leads/?cursor={cursor}"),
        f"stage filter, {data.large.leads:,} leads": (large, f"/leads/?stage={viewing}"),
        f"community filter, {data.large.leads:,} leads": (large, f"/leads/?{popular}"),
        f"rare community, {data.large.leads:,} leads": (large, f"/leads/?{rare}"),
    }
    rare_rows = min(PAGE_SIZE, data.large.leads // lead_data.RARE_EVERY)
    for client, path in pages.values():  # warm caches, templates and connections
        wanted = rare_rows if path.endswith(rare) else PAGE_SIZE
        for _ in range(10):
            response = client.get(path)
            if response.status_code != 200 or len(rows_of(response.content.decode())) != wanted:
                raise SystemExit(f"bench: {path} did not render a page of {wanted} leads")
    samples: dict[str, list[float]] = {label: [] for label in pages}
    for _ in range(requests):
        for label, (client, path) in pages.items():
            started = time.perf_counter()
            client.get(path)
            samples[label].append((time.perf_counter() - started) * 1000)

    labels = list(pages)
    summary = {
        label: {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(p95(values), 2),
            "max_ms": round(max(values), 2),
        }
        for label, values in samples.items()
    }
    scale = summary[labels[1]]["p95_ms"] / summary[labels[0]]["p95_ms"]
    deep = summary[labels[2]]["p95_ms"] / summary[labels[1]]["p95_ms"]
    return {
        "benchmark": "lead_list",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests_per_page": requests,
        "large_leads": data.large.leads,
        "build_seconds": {
            "small": data.small.seconds_to_build,
            "large": data.large.seconds_to_build,
        },
        "pages": summary,
        "ratio_large_vs_small_p95": round(scale, 2),
        "ratio_deep_vs_first_p95": round(deep, 2),
        "goal_large_vs_small": GOAL_SCALE,
        "goal_deep_vs_first": GOAL_DEEP,
    }


def report(results: dict) -> None:
    print()
    print(f"Lead list, {results['requests_per_page']} requests a page (Django test Client)")
    header = f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for label, row in results["pages"].items():
        print(f"{label:<40} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}")
    scale, deep = results["ratio_large_vs_small_p95"], results["ratio_deep_vs_first_p95"]
    print(
        f"p95 at {results['large_leads']:,} vs 1,000 leads: {scale:.2f}x "
        f"({'meets' if scale <= GOAL_SCALE else 'MISSES'} the {GOAL_SCALE}x goal)"
    )
    print(
        f"p95 of page {DEEP_PAGE:,} vs page 1: {deep:.2f}x "
        f"({'meets' if deep <= GOAL_DEEP else 'MISSES'} the {GOAL_DEEP}x goal)"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to bench/results/{RESULTS.name}")


def main() -> int:
    requests = int(os.environ.get("BENCH_LIST_REQUESTS", "60"))
    report(run(requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the lead list renders at 1,000,000 leads compared with 1,000, and deep in the list,
for a manager (who sees every lead) and for an agent (who sees the leads assigned to them).

    make bench                               # with every other benchmark
    python -m bench.lead_list                # this one (inside `aqari.embedded run`)
    BENCH_LEADS_LARGE=200000 ...             # a smaller "large" agency
    BENCH_LIST_REQUESTS=100 ...              # requests per measured page (default 60)
    BENCH_LIST_DEEP_PAGE=1000 ...            # the deep page (default 5,000, or the last full
                                             # page when there are fewer)

The agencies come from `bench.lead_data` (shared with the search benchmark); their leads are
assigned in turn to the admin, the manager and the agent, so the agent sees a third of them,
through the visibility rule of `leads.selectors.leads_visible`. Each request goes through
the Django test Client to the real view, signed in as the manager or the agent, so middleware,
the selector, and template rendering are all in the time. Pages measured, interleaved so a
slow-down on the shared machine hits each alike:

* page 1 at 1,000 leads and at 1,000,000 leads, for each (goal: p95 within 2x);
* page 5,000 at 1,000,000 leads (25 leads a page, so the 124,976th to the 125,000th lead the
  reader sees), for each, reached by a cursor computed once with an OFFSET query (goal: p95
  within 1.5x of page 1); with fewer leads, the last full page;
* as the manager, page 1 filtered by a stage, by a popular community (a tenth of the leads)
  and by a rare one (one lead in 20,000), for information.

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
from urllib.parse import urlencode

from bench import results_path

DEEP_PAGE = 5000
GOAL_SCALE = 2.0
GOAL_DEEP = 1.5
ROLES = ("manager", "agent")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def member(schema: str, role: str):
    from django_tenants.utils import schema_context

    from accounts.models import Membership

    with schema_context(schema):
        return Membership.objects.select_related("user").get(role=role)


def visible_count(schema: str, actor) -> int:
    from django_tenants.utils import schema_context

    from leads.selectors import leads_visible

    with schema_context(schema):
        return leads_visible(actor=actor).count()


def deep_page(visible: int, size: int) -> int:
    """Page 5,000 (BENCH_LIST_DEEP_PAGE), or the last full page when there are fewer."""
    wanted = int(os.environ.get("BENCH_LIST_DEEP_PAGE", DEEP_PAGE))
    page = min(wanted, visible // size)
    if page < 3:
        raise SystemExit(
            f"bench: {visible:,} leads make fewer than three pages; raise BENCH_LEADS_LARGE"
        )
    return page


def deep_cursor(schema: str, actor, page: int, size: int) -> str:
    """The cursor that opens `page` of the leads `actor` sees: the position of the last lead
    of the page before it."""
    from django_tenants.utils import schema_context

    from leads.selectors import Cursor, leads_visible

    with schema_context(schema):
        before = (
            leads_visible(actor=actor)
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

    large_schema = data.large.schema_name
    with schema_context(large_schema):
        viewing = PipelineStage.objects.get(name="Viewing").pk
    connection.set_schema_to_public()
    popular = urlencode({"community": lead_data.COMMUNITIES[1]})
    rare = urlencode({"community": lead_data.RARE_COMMUNITY})

    pages: dict[str, tuple[object, str]] = {}
    roles: dict[str, dict] = {}
    for role in ROLES:
        small = lead_data.client_for(data.small, role)
        large = lead_data.client_for(data.large, role)
        actor = member(large_schema, role)
        visible = {
            "small": visible_count(data.small.schema_name, member(data.small.schema_name, role)),
            "large": visible_count(large_schema, actor),
        }
        page = deep_page(visible["large"], PAGE_SIZE)
        cursor = deep_cursor(large_schema, actor, page, PAGE_SIZE)
        check_cursor_walk(large)
        labels = {
            "first_small": f"{role}, page 1, {data.small.leads:,} leads",
            "first_large": f"{role}, page 1, {data.large.leads:,} leads",
            "deep_large": f"{role}, page {page:,}, {data.large.leads:,} leads",
        }
        pages[labels["first_small"]] = (small, "/leads/")
        pages[labels["first_large"]] = (large, "/leads/")
        pages[labels["deep_large"]] = (large, f"/leads/?cursor={cursor}")
        roles[role] = {"visible_leads": visible, "deep_page": page, "labels": labels}
        if role == "manager":
            pages[f"manager, stage filter, {data.large.leads:,} leads"] = (
                large,
                f"/leads/?stage={viewing}",
            )
            pages[f"manager, community filter, {data.large.leads:,} leads"] = (
                large,
                f"/leads/?{popular}",
            )
            pages[f"manager, rare community, {data.large.leads:,} leads"] = (
                large,
                f"/leads/?{rare}",
            )

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

    summary = {
        label: {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(p95(values), 2),
            "max_ms": round(max(values), 2),
        }
        for label, values in samples.items()
    }
    ratios = {}
    for role, about in roles.items():
        labels = about.pop("labels")
        first_small = summary[labels["first_small"]]["p95_ms"]
        first_large = summary[labels["first_large"]]["p95_ms"]
        deep = summary[labels["deep_large"]]["p95_ms"]
        ratios[role] = {
            "large_vs_small_p95": round(first_large / first_small, 2),
            "deep_vs_first_p95": round(deep / first_large, 2),
        }
    agent_vs_manager = (
        summary[f"agent, page 1, {data.large.leads:,} leads"]["p95_ms"]
        / summary[f"manager, page 1, {data.large.leads:,} leads"]["p95_ms"]
    )
    return {
        "benchmark": "lead_list",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests_per_page": requests,
        "small_leads": data.small.leads,
        "large_leads": data.large.leads,
        "build_seconds": {
            "small": data.small.seconds_to_build,
            "large": data.large.seconds_to_build,
        },
        "roles": roles,
        "pages": summary,
        "ratios": ratios,
        "ratio_agent_vs_manager_first_page_large_p95": round(agent_vs_manager, 2),
        "goal_large_vs_small": GOAL_SCALE,
        "goal_deep_vs_first": GOAL_DEEP,
    }


def report(results: dict) -> None:
    print()
    print(f"Lead list, {results['requests_per_page']} requests a page (Django test Client)")
    header = f"{'page':<50} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for label, row in results["pages"].items():
        print(f"{label:<50} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}")
    for role, ratios in results["ratios"].items():
        about = results["roles"][role]
        visible = about["visible_leads"]
        scale, deep = ratios["large_vs_small_p95"], ratios["deep_vs_first_p95"]
        print(
            f"{role} (sees {visible['small']:,} and {visible['large']:,} leads): "
            f"p95 at {results['large_leads']:,} vs {results['small_leads']:,} leads {scale:.2f}x "
            f"({'meets' if scale <= GOAL_SCALE else 'MISSES'} the {GOAL_SCALE}x goal); "
            f"page {about['deep_page']:,} vs page 1 {deep:.2f}x "
            f"({'meets' if deep <= GOAL_DEEP else 'MISSES'} the {GOAL_DEEP}x goal)"
        )
    print(
        f"agent vs manager, page 1 at {results['large_leads']:,} leads: "
        f"{results['ratio_agent_vs_manager_first_page_large_p95']:.2f}x the p95"
    )
    out = results_path("lead_list.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {out}")


def main() -> int:
    requests = int(os.environ.get("BENCH_LIST_REQUESTS", "60"))
    report(run(requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long creating an agency takes: copying the template schema vs replaying migrations.

    make bench                         # 5 agencies per way (plus one warm-up round)
    BENCH_AGENCIES=10 make bench       # more agencies
    BENCH_PROFILE=1 make bench         # also print a cProfile of one cloned agency

Everything runs in a scratch database (`aqari_bench`, or BENCH_DATABASE) created on the
server DATABASE_URL points at and dropped at the end. The public schema and the template are
migrated once; then agencies are created through the normal service,
`tenants.services.agency_create`, in these ways, interleaved so that a slow-down while the
catalog grows (or while another process loads the machine) hits every way alike:

* **clone**: the normal path. `Agency.create_schema` replays the script
  `tenants.cloning.schema_clone` reads once from the template's catalog (tables, constraints
  and indexes under the template's names, the template's rows, identity sequences moved past
  them) in one round trip. No `migrate_schemas` runs: the copied `django_migrations` rows are
  the history.
* **migrate**: the same service with `TENANT_CREATION_FAKES_MIGRATIONS=False`, so
  `Agency.create_schema` falls back to django-tenants, which creates an empty schema and
  replays every tenant migration.
* **django-tenants clone_schema()**: for reference, the same service with
  `Agency.create_schema` replaced by django-tenants' own (`TenantMixin.create_schema`): its
  PL/pgSQL `clone_schema()` copies the template, then `migrate_schemas --fake` runs on the copy.

Every created schema is checked against the template: the same tables, indexes and constraints
(by name, definitions with the schema name left out) and the same `django_migrations` rows.
django-tenants' `clone_schema()` gives unique constraints (and their indexes) new names, so for
that way only the definitions must match and the renamed ones are counted.
Per agency the bench records the wall time of the whole service call, the part spent in
`Agency.create_schema` and, for clone, the part spent in `schema_clone`. Results are printed as
a table and written to `bench/results/latest.json`.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    release_database,
    results_path,
    scratch_server_url,
    use_database,
    with_database,
)

DEFAULT_AGENCIES = 5
PASSWORD = "Quiet-Orchid-Lantern-4821"
GOAL_RATIO = 5.0

CLONE = "clone"
MIGRATE = "migrate"
DT_CLONE = "django-tenants clone_schema()"
WAYS = (CLONE, MIGRATE, DT_CLONE)
SLUG_PREFIX = {CLONE: "clone", MIGRATE: "migrate", DT_CLONE: "dtclone"}
PHASES = {
    "create_schema": "Agency.create_schema: the copy (and fake migrate), or the migrations",
    "copy script": "of that, tenants.cloning.schema_clone (clone only)",
    "rest": "validation, agency row, host, admin user, membership",
}


# --- scratch database -------------------------------------------------------------------------


def _admin_connect(url: str):
    """An autocommit connection to the server's maintenance database (or, failing that, to
    the database the URL names) for CREATE / DROP DATABASE."""
    import psycopg

    try:
        return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connect(url) as conn:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(statement.format(sql.Identifier(name)))


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """Create database `name` on the server DATABASE_URL names, point this process (Django,
    and DATABASE_URL for the processes it starts) at it, and on the way out point it back
    where it was and drop the database."""
    from psycopg import sql

    base_url = scratch_server_url(name)
    previous = os.environ.get("DATABASE_URL")
    drop_database(base_url, name)
    with _admin_connect(base_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(base_url, name)
    try:
        use_database(url)
        yield url
    finally:
        release_database(previous)
        drop_database(base_url, name)


# --- timing -----------------------------------------------------------------------------------


class PhaseTimer:
    """Adds up the time spent inside the wrapped steps of one agency creation."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    def reset(self) -> None:
        self.totals.clear()

    def wrap(self, phase: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.totals[phase] += time.perf_counter() - start

        return timed

    def phases(self, total: float) -> dict[str, float]:
        """The wrapped steps, and `rest` for everything outside `Agency.create_schema`."""
        phases = dict(self.totals)
        phases["rest"] = total - phases.get("create_schema", 0.0)
        return phases


@contextmanager
def patched(owner: object, name: str, value: object) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


# --- the ways ---------------------------------------------------------------------------------


def way_context(way: str, timer: PhaseTimer) -> ExitStack:
    """The settings and patches for one way, with `Agency.create_schema` (whichever one the
    way uses) and `tenants.cloning.schema_clone` timed."""
    from django.test import override_settings
    from django_tenants.models import TenantMixin

    from tenants import cloning
    from tenants.models import Agency

    stack = ExitStack()
    if way == MIGRATE:
        stack.enter_context(override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False))
    create_schema = TenantMixin.create_schema if way == DT_CLONE else Agency.create_schema
    stack.enter_context(
        patched(Agency, "create_schema", timer.wrap("create_schema", create_schema))
    )
    # Agency.create_schema imports schema_clone when it runs, so the module attribute is
    # the one it calls.
    stack.enter_context(
        patched(cloning, "schema_clone", timer.wrap("copy script", cloning.schema_clone))
    )
    return stack


def create_agency(way: str, slug: str, timer: PhaseTimer):
    from tenants.services import agency_create

    # django-tenants prints migrate_schemas progress (Agency.save runs it at verbosity 1);
    # the bench keeps it off the terminal for every way alike.
    with way_context(way, timer), redirect_stdout(io.StringIO()):
        return agency_create(
            slug=slug,
            name=f"Bench {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            admin_name="Bench Admin",
        )


# --- checking a copy --------------------------------------------------------------------------

CATALOG = {
    "table": """
        SELECT c.relname, '' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND c.relkind = 'r'
    """,
    "index": """
        SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s AND c.relkind = 'i'
    """,
    "constraint": """
        SELECT c.relname || '.' || con.conname, c.relname || ': ' || pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = con.connamespace
        WHERE n.nspname = %(schema)s
    """,
}
PLURAL = {
    "table": "tables",
    "index": "indexes",
    "constraint": "constraints",
    "migration": "migrations",
}
INDEX_NAME = re.compile(r"^(CREATE (?:UNIQUE )?INDEX )\S+ ON ")


def _shape(kind: str, definition: str, schema: str) -> str:
    """A definition without the schema's name (and an index's own name, which is the key)."""
    definition = definition.replace(f'"{schema}".', "X.").replace(f"{schema}.", "X.")
    return INDEX_NAME.sub(r"\1ON ", definition) if kind == "index" else definition


def schema_catalog(schema: str) -> dict[str, frozenset[tuple[str, str]]]:
    """The schema's tables, indexes and constraints as (name, definition) pairs, and its
    `django_migrations` rows as (app, name): equal for a faithful copy."""
    from django.db import connection, transaction
    from psycopg import sql

    found: dict[str, frozenset[tuple[str, str]]] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Definitions name the schema only when it is not on the path: keep it off.
        cursor.execute("SET LOCAL search_path TO pg_catalog")
        for kind, query in CATALOG.items():
            cursor.execute(query, {"schema": schema})
            found[kind] = frozenset(
                (name, _shape(kind, definition, schema)) for name, definition in cursor.fetchall()
            )
        cursor.execute(
            sql.SQL("SELECT app, name FROM {}.django_migrations").format(sql.Identifier(schema))
        )
        found["migration"] = frozenset(cursor.fetchall())
    return found


def check_copy(
    way: str, schema: str, expected: dict[str, frozenset[tuple[str, str]]]
) -> dict[str, int]:
    """Stop the bench unless `schema` is the template again. The app's own ways must keep every
    name; django-tenants' clone_schema() renames some indexes and constraints, so for it only
    the definitions must match, and the count of renamed ones is returned."""
    found = schema_catalog(schema)
    renamed: dict[str, int] = {}
    for kind, rows in expected.items():
        if found[kind] == rows:
            continue
        if way == DT_CLONE and kind in ("index", "constraint"):
            same_shapes = Counter(shape for _, shape in found[kind]) == Counter(
                shape for _, shape in rows
            )
            if same_shapes:
                renamed[kind] = len({name for name, _ in rows} - {name for name, _ in found[kind]})
                continue
        missing = sorted(rows - found[kind])[:3]
        extra = sorted(found[kind] - rows)[:3]
        raise SystemExit(
            f"bench: {way}: {schema} differs from the template in its {PLURAL[kind]} "
            f"(missing {missing}, extra {extra})"
        )
    return renamed


# --- report -----------------------------------------------------------------------------------


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict]:
    summary = {}
    for way, rows in samples.items():
        if not rows:
            continue
        phases = sorted({phase for row in rows for phase in row if phase != "total"})
        summary[way] = {
            "seconds": [round(row["total"], 4) for row in rows],
            "median_seconds": round(statistics.median(row["total"] for row in rows), 4),
            "median_phase_seconds": {
                phase: round(statistics.median(row.get(phase, 0.0) for row in rows), 4)
                for phase in phases
            },
        }
    return summary


def print_table(summary: dict[str, dict], agencies: int) -> None:
    phases = list(PHASES)
    width = max(len(way) for way in WAYS)
    header = f"{'way':<{width}} {'median s':>9} {'min s':>7} {'max s':>7}" + "".join(
        f" {p:>14}" for p in phases
    )
    print()
    print(f"Agency creation, {agencies} agencies per way (seconds per agency)")
    print(header)
    print("-" * len(header))
    for way in WAYS:
        row = summary.get(way)
        if row is None:
            continue
        seconds = row["seconds"]
        line = (
            f"{way:<{width}} {row['median_seconds']:>9.3f} {min(seconds):>7.3f} "
            f"{max(seconds):>7.3f}"
        )
        for phase in phases:
            value = row["median_phase_seconds"].get(phase)
            line += f" {value:>14.3f}" if value is not None else f" {'-':>14}"
        print(line)
    print("phases (medians):")
    for name, text in PHASES.items():
        print(f"  {name:<14} {text}")
    print()


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def machine_info() -> dict[str, object]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in load] if load else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version(),
    }


def profile_one_clone(slug: str, limit: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    create_agency(CLONE, slug, PhaseTimer())
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def _ratio(slow: float, fast: float) -> float:
    return round(slow / fast, 2)


# --- main -------------------------------------------------------------------------------------


def run(agencies: int) -> dict:
    from django.conf import settings
    from django.db import connection

    from tenants.cloning import clone_cache_clear, clone_script
    from tenants.provisioning import migrate_everything

    started = time.perf_counter()
    print("bench: migrating the public schema and the agency template ...", flush=True)
    migrate_everything(verbosity=0)
    setup_seconds = time.perf_counter() - started
    template = settings.TENANT_BASE_SCHEMA

    # The copy script is read from the catalog once per process; time that read on its own.
    clone_cache_clear()
    started = time.perf_counter()
    clone_script(template)
    script_seconds = time.perf_counter() - started

    timer = PhaseTimer()
    samples: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    expected = schema_catalog(template)
    dt_renamed: dict[str, int] = {}
    # Round 0 warms up imports, caches and the migration loader; it is not counted.
    for round_ in range(agencies + 1):
        for way in WAYS:
            slug = f"bench-{SLUG_PREFIX[way]}-{round_}"
            timer.reset()
            start = time.perf_counter()
            agency = create_agency(way, slug, timer)
            total = time.perf_counter() - start
            connection.set_schema_to_public()
            renamed = check_copy(way, agency.schema_name, expected)
            if way == DT_CLONE:
                dt_renamed = renamed
            if round_:
                samples[way].append({"total": total, **timer.phases(total)})
        print(f"bench: round {round_}/{agencies} done", flush=True)

    profile = None
    if os.environ.get("BENCH_PROFILE"):
        profile = profile_one_clone("bench-profile")

    summary = summarise(samples)
    medians = {way: summary[way]["median_seconds"] for way in summary}
    # Fastest runs: on a machine shared with other work, the least disturbed run of each way.
    fastest = {way: min(summary[way]["seconds"]) for way in summary}
    return {
        "benchmark": "agency_creation",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "agencies_per_way": agencies,
        "template": {
            "tables": len(expected["table"]),
            "indexes": len(expected["index"]),
            "constraints": len(expected["constraint"]),
            "migrations": len(expected["migration"]),
        },
        "setup_seconds": round(setup_seconds, 3),
        "clone_script_seconds": round(script_seconds, 3),
        "ways": summary,
        "times_faster_than_migrate": {
            way: _ratio(medians[MIGRATE], medians[way]) for way in medians
        },
        "times_faster_than_migrate_fastest_runs": {
            way: _ratio(fastest[MIGRATE], fastest[way]) for way in fastest
        },
        "ratio_clone_vs_migrate": _ratio(medians[MIGRATE], medians[CLONE]),
        "ratio_clone_vs_django_tenants_clone": _ratio(medians[DT_CLONE], medians[CLONE]),
        "ratio_clone_vs_django_tenants_clone_fastest_runs": _ratio(
            fastest[DT_CLONE], fastest[CLONE]
        ),
        "django_tenants_clone_renamed": dt_renamed,
        "goal_ratio": GOAL_RATIO,
        "profile": profile,
    }


def main() -> int:
    agencies = int(os.environ.get("BENCH_AGENCIES", DEFAULT_AGENCIES))
    if agencies < 1:
        raise SystemExit("bench: BENCH_AGENCIES must be at least 1")
    database = os.environ.get("BENCH_DATABASE", "aqari_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    wall = time.perf_counter()
    with scratch_database(database):
        results = run(agencies)
    results["wall_seconds"] = round(time.perf_counter() - wall, 1)

    print_table(results["ways"], agencies)
    template = results["template"]
    print(
        f"template: {template['tables']} tables, {template['indexes']} indexes, "
        f"{template['constraints']} constraints, {template['migrations']} migrations; "
        f"copy script read from its catalog in {results['clone_script_seconds']:.3f} s "
        "(once per process)"
    )
    ratio = results["ratio_clone_vs_migrate"]
    verdict = "meets" if ratio >= GOAL_RATIO else "MISSES"
    print(f"clone is {ratio:.1f}x faster than migrate ({verdict} the {GOAL_RATIO:.0f}x goal)")
    print(
        f"clone is {results['ratio_clone_vs_django_tenants_clone']:.1f}x faster than "
        "django-tenants clone_schema()"
    )
    fastest = results["times_faster_than_migrate_fastest_runs"]
    print(
        f"  (fastest run of each: clone {fastest[CLONE]:.1f}x faster than migrate, "
        f"{results['ratio_clone_vs_django_tenants_clone_fastest_runs']:.1f}x faster than "
        f"django-tenants clone_schema(), which is {fastest[DT_CLONE]:.1f}x faster than migrate)"
    )
    renamed = results["django_tenants_clone_renamed"]
    if renamed:
        print(
            "  (django-tenants clone_schema() renames "
            + " and ".join(f"{count} {PLURAL[kind]}" for kind, count in renamed.items())
            + " of the template; clone and migrate keep every name)"
        )
    machine = results["machine"]
    load = machine["load_average"]
    print(
        f"{results['date']}, {machine['cpus']} CPUs"
        + (f" (load average {load[0]:.1f} at the end)" if load else "")
        + f", PostgreSQL {machine['postgresql']}, Python {machine['python']}, "
        f"{results['wall_seconds']} s in all"
    )
    if results["profile"]:
        print("\nProfile of one cloned agency (cumulative):")
        print(results["profile"])

    out = results_path("latest.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out
    print(f"results written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long creating an agency takes: cloning the template schema vs replaying migrations.

    make bench                         # 5 agencies per way (plus one warm-up round)
    BENCH_AGENCIES=10 make bench       # more agencies
    BENCH_PROFILE=1 make bench         # also print a cProfile of one cloned agency

Everything runs in a scratch database (`aqari_bench`, or BENCH_DATABASE) created on the
server DATABASE_URL points at and dropped at the end. The public schema and the template are
migrated once; then agencies are created through the normal service,
`tenants.services.agency_create`, in these ways, interleaved so that a slow-down while the
catalog grows (or while another process loads the machine) hits every way alike:

* **clone**: the normal path. django-tenants copies `agency_template` (tables and rows,
  `clone_mode = "DATA"`) with its PL/pgSQL `clone_schema()` function, then runs
  `migrate_schemas --fake` on the copy.
* **migrate**: the same service with `TENANT_CREATION_FAKES_MIGRATIONS=False`, so
  django-tenants creates an empty schema and replays every tenant migration.
* **clone, no fake migrate**: the clone with the fake `migrate_schemas` skipped. The copy
  already holds the template's `django_migrations` rows, so the fake migrate records nothing.
* **cached DDL (prototype)**: the template dumped once (`pg_dump --schema agency_template`,
  tables, indexes, sequences and rows) and that script replayed with the new schema's name
  instead of `clone_schema()`; no fake migrate. Not what the app does: it shows what a
  different copy step would give. Skipped when no pg_dump matching the server is found.

Every created schema is checked against the template (same tables, same `django_migrations`
rows). Per agency the bench records the wall time of the whole service call and how much of it
went to each django-tenants step. Results are printed as a table and written to
`bench/results/latest.json`.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_AGENCIES = 5
PASSWORD = "Quiet-Orchid-Lantern-4821"
GOAL_RATIO = 5.0

CLONE = "clone"
MIGRATE = "migrate"
CLONE_NO_FAKE = "clone, no fake migrate"
CACHED_DDL = "cached DDL (prototype)"
WAYS = (CLONE, MIGRATE, CLONE_NO_FAKE, CACHED_DDL)
SLUG_PREFIX = {CLONE: "clone", MIGRATE: "migrate", CLONE_NO_FAKE: "nofake", CACHED_DDL: "ddl"}
PHASES = {
    "define function": "CloneSchema re-creates its clone_schema() SQL function",
    "copy schema": "SELECT clone_schema(template, new), or replaying the cached script",
    "migrate_schemas": "fake (clone) or real (migrate) migrate_schemas",
    "rest": "validation, agency row, host, admin user, membership",
}
SCHEMA_TOKEN = "__AQARI_NEW_SCHEMA__"


# --- scratch database -------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    return urlparse(url)._replace(path="/" + name).geturl()


def _admin_connect(url: str):
    """An autocommit connection to the server's maintenance database (or, failing that, to
    the database the URL names) for CREATE / DROP DATABASE."""
    import psycopg

    try:
        return psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)


def _drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connect(url) as conn:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(statement.format(sql.Identifier(name)))


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """Create database `name` beside the one DATABASE_URL names, point DATABASE_URL at it for
    the rest of this process, and drop it on the way out."""
    from psycopg import sql

    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        raise SystemExit(
            "bench: DATABASE_URL is not set. Run `make bench`, which starts the embedded "
            "PostgreSQL, or set DATABASE_URL to a server where a scratch database may be created."
        )
    if urlparse(base_url).path.lstrip("/") == name:
        raise SystemExit(f"bench: refusing to use {name!r}: it is the database DATABASE_URL names.")
    _drop_database(base_url, name)
    with _admin_connect(base_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = _with_database(base_url, name)
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not have been set up yet.
            pass
        os.environ["DATABASE_URL"] = base_url
        _drop_database(base_url, name)


# --- timing -----------------------------------------------------------------------------------


class PhaseTimer:
    """Adds up the time spent inside the django-tenants steps of one agency creation."""

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
        """Exclusive times: `copy schema` without the function definition it starts with, and
        `rest` for everything outside django-tenants (agency row, host, admin, membership)."""
        phases = dict(self.totals)
        if "copy schema" in phases:
            phases["copy schema"] -= phases.get("define function", 0.0)
        phases["rest"] = total - sum(phases.get(p, 0.0) for p in PHASES if p != "rest")
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


def _pg_major(version: str) -> int | None:
    match = re.search(r"(\d+)", version)
    return int(match.group(1)) if match else None


def find_pg_dump(server_major: int) -> str | None:
    """A pg_dump no older than the server: the one beside the embedded server, then PATH."""
    candidates = []
    try:
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"))
    except ImportError:
        pass
    if shutil.which("pg_dump"):
        candidates.append(shutil.which("pg_dump"))
    for candidate in candidates:
        if not os.access(candidate, os.X_OK):
            continue
        result = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=False
        )
        major = _pg_major(result.stdout.rsplit(" ", 1)[-1]) if result.returncode == 0 else None
        if major is not None and major >= server_major:
            return candidate
    return None


def template_script(pg_dump: str, database_url: str, template: str) -> str:
    """The template schema as one SQL script, its name replaced by SCHEMA_TOKEN.

    Session settings (`SET ...`, `set_config('search_path', ...)`) are dropped: they would
    outlive the script on Django's connection and change what later queries see.
    """
    dump = subprocess.run(
        [
            pg_dump,
            "--dbname",
            database_url,
            "--schema",
            template,
            "--no-owner",
            "--no-acl",
            "--no-comments",
            "--inserts",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [
        line
        for line in dump.splitlines()
        if line.strip() and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config("))
    ]
    return re.sub(rf"\b{re.escape(template)}\b", SCHEMA_TOKEN, "\n".join(lines))


def cached_ddl(timer: PhaseTimer, script: str):
    """Replace clone_schema() by replaying `script`, and skip the fake migrate."""
    from django.db import connection
    from django_tenants import models as tenant_models

    def replay(_self, base_schema_name, new_schema_name, clone_mode="DATA", set_connection=True):
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(script.replace(SCHEMA_TOKEN, f'"{new_schema_name}"'))

    stack = ExitStack()
    stack.enter_context(
        patched(tenant_models.CloneSchema, "clone_schema", timer.wrap("copy schema", replay))
    )
    stack.enter_context(skip_fake_migrate())
    return stack


@contextmanager
def instrumented(timer: PhaseTimer) -> Iterator[None]:
    from django_tenants import models as tenant_models

    clone = tenant_models.CloneSchema
    with ExitStack() as stack:
        stack.enter_context(
            patched(clone, "clone_schema", timer.wrap("copy schema", clone.clone_schema))
        )
        stack.enter_context(
            patched(
                clone,
                "_create_clone_schema_function",
                timer.wrap("define function", clone._create_clone_schema_function),
            )
        )
        stack.enter_context(
            patched(
                tenant_models,
                "call_command",
                timer.wrap("migrate_schemas", tenant_models.call_command),
            )
        )
        yield


@contextmanager
def skip_fake_migrate() -> Iterator[None]:
    """Within the clone path, replace the fake `migrate_schemas` with nothing."""
    from django_tenants import models as tenant_models

    wrapped = tenant_models.call_command

    def call_command(name, *args, **options):
        if name == "migrate_schemas" and options.get("fake"):
            return None
        return wrapped(name, *args, **options)

    with patched(tenant_models, "call_command", call_command):
        yield


def way_context(way: str, timer: PhaseTimer, script: str | None):
    from django.test import override_settings

    if way == MIGRATE:
        return override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False)
    if way == CLONE_NO_FAKE:
        return skip_fake_migrate()
    if way == CACHED_DDL:
        assert script is not None
        return cached_ddl(timer, script)
    return ExitStack()


def create_agency(way: str, slug: str, timer: PhaseTimer, script: str | None = None):
    from tenants.services import agency_create

    # django-tenants prints migrate_schemas progress (Agency.save runs it at verbosity 1);
    # the bench keeps it off the terminal for every way alike.
    with way_context(way, timer, script), redirect_stdout(io.StringIO()):
        return agency_create(
            slug=slug,
            name=f"Bench {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            admin_name="Bench Admin",
        )


def schema_fingerprint(schema: str) -> tuple[int, int, int]:
    """(tables, indexes, django_migrations rows): equal for a faithful copy."""
    from django.db import connection
    from psycopg import sql

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE c.relkind = 'r'),"
            " count(*) FILTER (WHERE c.relkind = 'i')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s",
            [schema],
        )
        tables, indexes = cursor.fetchone()
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.django_migrations").format(sql.Identifier(schema))
        )
        return tables, indexes, cursor.fetchone()[0]


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
    header = f"{'way':<24} {'median s':>9} {'min s':>7} {'max s':>7}" + "".join(
        f" {p:>15}" for p in phases
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
        line = f"{way:<24} {row['median_seconds']:>9.3f} {min(seconds):>7.3f} {max(seconds):>7.3f}"
        for phase in phases:
            value = row["median_phase_seconds"].get(phase)
            line += f" {value:>15.3f}" if value is not None else f" {'-':>15}"
        print(line)
    print("phases (medians):")
    for name, text in PHASES.items():
        print(f"  {name:<16} {text}")
    print()


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def machine_info() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
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


# --- main -------------------------------------------------------------------------------------


def run(agencies: int, database_url: str) -> dict:
    from django.conf import settings
    from django.db import connection

    from tenants.provisioning import migrate_everything

    started = time.perf_counter()
    print("bench: migrating the public schema and the agency template ...", flush=True)
    migrate_everything(verbosity=0)
    setup_seconds = time.perf_counter() - started
    template = settings.TENANT_BASE_SCHEMA

    ways = list(WAYS)
    script = None
    dump_seconds = None
    skipped: dict[str, str] = {}
    pg_dump = find_pg_dump(_pg_major(server_version()) or 0)
    if pg_dump is None:
        skipped[CACHED_DDL] = "no pg_dump as new as the server"
    else:
        started = time.perf_counter()
        script = template_script(pg_dump, database_url, template)
        dump_seconds = time.perf_counter() - started
    for way in skipped:
        ways.remove(way)
        print(f"bench: skipping {way}: {skipped[way]}", flush=True)

    timer = PhaseTimer()
    samples: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
    expected = schema_fingerprint(template)
    with instrumented(timer):
        # Round 0 warms up imports, caches and the migration loader; it is not counted.
        for round_ in range(agencies + 1):
            for way in ways:
                slug = f"bench-{SLUG_PREFIX[way]}-{round_}"
                timer.reset()
                start = time.perf_counter()
                agency = create_agency(way, slug, timer, script)
                total = time.perf_counter() - start
                connection.set_schema_to_public()
                found = schema_fingerprint(agency.schema_name)
                if found != expected:
                    raise SystemExit(
                        f"bench: {way}: {agency.schema_name} has (tables, indexes, migrations) "
                        f"{found}, the template {expected}"
                    )
                if round_:
                    samples[way].append({"total": total, **timer.phases(total)})
            print(f"bench: round {round_}/{agencies} done", flush=True)

    profile = None
    if os.environ.get("BENCH_PROFILE"):
        profile = profile_one_clone("bench-profile")

    summary = summarise(samples)
    migrate = summary[MIGRATE]["median_seconds"]
    ratios = {way: round(migrate / summary[way]["median_seconds"], 2) for way in summary}
    # Fastest runs: on a machine shared with other work, the least disturbed run of each way.
    fastest_migrate = min(summary[MIGRATE]["seconds"])
    fastest_ratios = {
        way: round(fastest_migrate / min(summary[way]["seconds"]), 2) for way in summary
    }
    return {
        "benchmark": "agency_creation",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "agencies_per_way": agencies,
        "template": {
            "tables": expected[0],
            "indexes": expected[1],
            "migrations": expected[2],
        },
        "setup_seconds": round(setup_seconds, 3),
        "template_dump_seconds": round(dump_seconds, 3) if dump_seconds is not None else None,
        "skipped": skipped,
        "ways": summary,
        "times_faster_than_migrate": ratios,
        "times_faster_than_migrate_fastest_runs": fastest_ratios,
        "ratio_clone_vs_migrate": ratios[CLONE],
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
    with scratch_database(database) as url:
        import django

        django.setup()
        results = run(agencies, url)
    results["wall_seconds"] = round(time.perf_counter() - wall, 1)

    print_table(results["ways"], agencies)
    template = results["template"]
    print(
        f"template: {template['tables']} tables, {template['indexes']} indexes, "
        f"{template['migrations']} migrations"
    )
    ratio = results["ratio_clone_vs_migrate"]
    verdict = "meets" if ratio >= GOAL_RATIO else "MISSES"
    print(f"clone is {ratio:.1f}x faster than migrate ({verdict} the {GOAL_RATIO:.0f}x goal)")
    fastest = results["times_faster_than_migrate_fastest_runs"]
    print(f"  (fastest run of each: clone {fastest[CLONE]:.1f}x faster)")
    for way, times in results["times_faster_than_migrate"].items():
        if way not in (CLONE, MIGRATE):
            print(f"  {way}: {times:.1f}x faster than migrate (fastest runs: {fastest[way]:.1f}x)")
    machine = results["machine"]
    print(
        f"{results['date']}, {machine['cpus']} CPUs, PostgreSQL {machine['postgresql']}, "
        f"Python {machine['python']}, {results['wall_seconds']} s in all"
    )
    if results["profile"]:
        print("\nProfile of one cloned agency (cumulative):")
        print(results["profile"])

    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "latest.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out
    print(f"results written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

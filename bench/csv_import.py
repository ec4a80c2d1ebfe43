"""How fast a 100,000-row lead file goes in: our importer against the usual ways.

    make bench                              # every benchmark, this one included
    python -m bench.csv_import              # this one (inside `aqari.embedded run --`)
    BENCH_CSV_ROWS=20000 python -m bench.csv_import    # a quicker run

Everything runs in a scratch database (`aqari_bench_csv`, or BENCH_CSV_DATABASE) created on the
server DATABASE_URL points at and dropped at the end; the importer's own process and its worker
processes work in it too. One generated file, realistic for a Dubai brokerage (Arabic and Latin
names, UAE numbers written every way, budgets as people type them, about 2% rows with no usable
contact, about 3% repeats of the same person), is imported into an empty agency each way:

* **ours**: `leads.imports` as the Celery task runs it (upload checks, two worker processes,
  COPY into staging, set-based insert, activities), in a fresh process; run on the whole file
  (BENCH_CSV_ROWS, 100,000 rows) and on its first BENCH_CSV_SMALL_ROWS rows (10,000), which
  also compares the peak memory (ru_maxrss of the process and of its worker processes). Both
  runs use the two worker processes, which the importer itself starts from 20,000 rows.
* **django-import-export**: a `ModelResource` for `Lead` with default settings, given the leads
  our importer created from the small file, already validated and normalised (so it does less
  than we do). It manages a few hundred rows a second (100,000 rows would take several
  minutes), so it is compared with ours on the small file: the same rows for both.
* **bulk_create**: `Lead.objects.bulk_create(batch_size=1000)` of the leads our importer
  created from the whole file (search grams and phone digits precomputed, no activities: again
  less work than ours).
* **COPY**: raw `COPY leads_lead FROM STDIN` of those same leads, preformatted in memory; the
  time is the COPY alone. The physical limit.

Every way is counted in leads created a second: for ours, the rows it accepted as new leads, not
the ones it rejects or folds into a lead met earlier in the file (the others are given exactly
the leads ours created). Ours is then compared with each baseline on the same rows. Results are
printed and written to bench/results/csv_import.json.
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

from bench import connected_database_url, results_path, use_database
from leads.fields import DETAILS, STAGED

PASSWORD = "Quiet-Orchid-Lantern-4821"
GOALS = {"django-import-export": 20.0, "bulk_create": 3.0}
COPY_AIM = 0.1

# --- a realistic file -------------------------------------------------------------------------

FIRST_LATIN = [
    "Ahmed",
    "Mohammed",
    "Omar",
    "Ali",
    "Hassan",
    "Yousef",
    "Khalid",
    "Rashid",
    "Priya",
    "Rahul",
    "Anita",
    "Sanjay",
    "John",
    "James",
    "Emma",
    "Olivia",
    "Sophie",
    "Daniel",
    "Olga",
    "Irina",
    "Dmitri",
    "Li",
    "Wei",
    "Fatima",
    "Aisha",
    "Mariam",
    "Sara",
    "Layla",
    "Noor",
    "Hiba",
    "Tariq",
    "Bilal",
    "Imran",
    "Ayesha",
    "Zainab",
    "Lucas",
    "Marco",
    "Giulia",
    "Pierre",
    "Claire",
]
LAST_LATIN = [
    "Khan",
    "Al Ali",
    "Al Mansoori",
    "Al Suwaidi",
    "Haddad",
    "Sharma",
    "Patel",
    "Nair",
    "Mehta",
    "Smith",
    "Brown",
    "Wilson",
    "O'Neil",
    "Petrova",
    "Ivanov",
    "Chen",
    "Wang",
    "Hussain",
    "Malik",
    "Rossi",
    "Dubois",
    "Müller",
    "Fernandes",
    "D'Souza",
    "Al Hashimi",
    "Al Falasi",
    "Qureshi",
]
FIRST_ARABIC = [
    "محمد",
    "أحمد",
    "خالد",
    "عبدالله",
    "سعيد",
    "راشد",
    "حمدان",
    "سلطان",
    "فاطمة",
    "مريم",
    "عائشة",
    "نورة",
    "سارة",
    "ليلى",
    "هند",
    "شيخة",
    "يوسف",
    "عمر",
    "علي",
    "حسن",
]
LAST_ARABIC = [
    "المنصوري",
    "السويدي",
    "الكتبي",
    "الفلاسي",
    "الهاشمي",
    "العلي",
    "المهيري",
    "الشامسي",
    "النعيمي",
    "الظاهري",
    "القاسمي",
    "الزعابي",
    "المري",
    "الكعبي",
]
COMMUNITIES = [
    "JVC",
    "Dubai Marina",
    "Downtown",
    "Business Bay",
    "Palm Jumeirah",
    "Arabian Ranches",
    "Dubai Hills",
    "JLT",
    "Al Barsha",
    "Mirdif",
    "DAMAC Hills",
    "Town Square",
    "Al Furjan",
    "دبي مارينا",
    "الخليج التجاري",
    "قرية جميرا الدائرية",
    "نخلة جميرا",
]
SOURCES = [
    "Property Finder",
    "Bayut",
    "Dubizzle",
    "Website",
    "Instagram",
    "Referral",
    "Walk-in",
    "Facebook",
    "بيوت",
    "موقع الوكالة",
]
NATIONALITIES = ["Emirati", "Indian", "British", "Russian", "Pakistani", "Egyptian", "إماراتي", ""]
HEADERS = [
    "Name",
    "Mobile",
    "Email",
    "Source",
    "Budget (AED)",
    "Community",
    "Bedrooms",
    "Nationality",
    "Notes",
]


def _phone(rng: random.Random, number: int) -> tuple[str, str]:
    """A UAE mobile written one of the ways people write it, and its E.164 form."""
    prefix = rng.choice(["50", "52", "54", "55", "56", "58"])
    digits = f"{number % 10_000_000:07d}"
    e164 = f"+971{prefix}{digits}"
    style = rng.randrange(6)
    if style == 0:
        return f"0{prefix} {digits[:3]} {digits[3:]}", e164
    if style == 1:
        return e164, e164
    if style == 2:
        return f"00971 {prefix} {digits[:3]} {digits[3:]}", e164
    if style == 3:
        return f"+971-{prefix}-{digits[:3]}-{digits[3:]}", e164
    if style == 4:
        return f"0{prefix}{digits}", e164
    return f"+971 ({prefix}) {digits[:3]} {digits[3:]}", e164


def _budget(rng: random.Random) -> str:
    amount = rng.choice([650_000, 850_000, 1_200_000, 1_750_000, 2_500_000, 3_500_000, 6_000_000])
    style = rng.randrange(6)
    if style == 0:
        return f"{amount:,}"
    if style == 1:
        return f"{amount / 1_000_000:g}M"
    if style == 2:
        return f"AED {amount:,}"
    if style == 3:
        return f"{rng.choice([65, 85, 120, 180])}000/yr"
    if style == 4:
        return str(amount)
    return ""


def generate(path: Path, rows: int, *, seed: int = 2026) -> dict[str, int]:
    """Write the bench file; returns how many rows are invalid and how many are repeats."""
    import csv

    rng = random.Random(seed)
    people: list[tuple[str, str, str]] = []
    invalid = repeats = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for index in range(rows):
            roll = rng.random()
            if roll < 0.02:
                invalid += 1
                bad = rng.choice(["", "12345", "n/a", "050 12"])
                writer.writerow([rng.choice(FIRST_LATIN), bad, "", "Website", "", "", "", "", ""])
                continue
            if roll < 0.05 and people:
                repeats += 1
                name, phone, email = rng.choice(people)
                writer.writerow([name.upper(), phone, "", "Walk-in", "", "", "", "", "again"])
                continue
            if rng.random() < 0.3:
                name = f"{rng.choice(FIRST_ARABIC)} {rng.choice(LAST_ARABIC)}"
                local = f"client{index}"
            else:
                first, last = rng.choice(FIRST_LATIN), rng.choice(LAST_LATIN)
                name = f"{first} {last}"
                local = f"{first}.{last}{index}".lower().replace(" ", "").replace("'", "")
            phone, _e164 = _phone(rng, index * 7919 + 13)
            email = f"{local}@{rng.choice(['example.com', 'example.ae', 'mail.example.org'])}"
            if rng.random() < 0.15:
                email = ""
            if len(people) < 50_000:
                people.append((name, phone, email))
            writer.writerow(
                [
                    name,
                    phone,
                    email,
                    rng.choice(SOURCES),
                    _budget(rng),
                    rng.choice(COMMUNITIES),
                    rng.choice(["Studio", "1", "2", "3", "4 BR", "5", ""]),
                    rng.choice(NATIONALITIES),
                    rng.choice(["", "", "wants ready unit", "call after 6pm", "يفضل إطلالة بحرية"]),
                ]
            )
    return {"invalid": invalid, "repeats": repeats}


def head(path: Path, rows: int, out: Path) -> None:
    with path.open("rb") as source, out.open("wb") as target:
        for index, line in enumerate(source):
            if index > rows:
                break
            target.write(line)


# --- our importer, in a process of its own (for honest peak memory) ---------------------------


def ours_in_process(schema: str, path: str) -> dict:
    """Run inside a fresh `python -m bench.csv_import --ours SCHEMA FILE` process."""
    # The database the parent made and migrated, which DATABASE_URL names; use_database stops
    # the run unless the connection is really there.
    use_database(os.environ["DATABASE_URL"])
    from django.conf import settings
    from django.db import connection

    from accounts.models import Membership
    from aqari.celery import app
    from leads.services import imports as services
    from leads.services.imports import import_job_create, import_job_start
    from tenants.models import Agency

    settings.DEBUG = False
    # The run goes through the Celery task as in production, executed here (and never sent to
    # a broker another worker might be listening on).
    app.conf.task_always_eager = True
    # The same two worker processes on the small file as on the whole one, so peaks compare
    # like for like (the importer itself only forks them from 20,000 rows). The workers are
    # forked from this process, with its settings: they clean rows and never connect.
    services.PARALLEL_FROM_ROWS = 0
    agency = Agency.objects.filter(schema_name=schema).first()
    if agency is None:
        raise SystemExit(f"bench: no agency {schema!r} in {connection.settings_dict['NAME']!r}")
    connection.set_tenant(agency)
    actor = Membership.objects.filter(role="admin").first()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with open(path, "rb") as handle:
        upload = _Upload(handle, os.path.basename(path), os.path.getsize(path))
        job = import_job_create(actor=actor, upload=upload)
    inspected = time.perf_counter()
    import_job_start(job=job, actor=actor, columns=job.mapping["columns"])
    finished = time.perf_counter()
    job.refresh_from_db()
    return {
        "rows": job.total_rows,
        "created": job.created_leads,
        "updated": job.updated_leads,
        "rejected": job.rejected_rows,
        "status": job.status,
        "seconds": finished - started,
        "inspect_seconds": inspected - started,
        "rss_baseline_kb": baseline_rss,
        "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_workers_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


class _Upload:
    """The bits of Django's UploadedFile the import service reads, over a file on disk."""

    def __init__(self, handle, name: str, size: int) -> None:
        self.file = handle
        self.name = name
        self.size = size


def ours(schema: str, path: Path) -> dict:
    media = path.parent / "media"
    env = {
        **os.environ,
        # The scratch database this process works in, whatever DATABASE_URL said before.
        "DATABASE_URL": connected_database_url(),
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(media),
    }
    output = subprocess.run(
        [sys.executable, "-m", "bench.csv_import", "--ours", schema, str(path)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if output.returncode:
        print(output.stderr[-3000:], file=sys.stderr)
        raise SystemExit("bench: our importer's process failed")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- the baselines ------------------------------------------------------------------------------

# The lead's columns an import stages (leads.fields; STAGING_COLUMNS adds row_no, root_no,
# message and original_source): the baselines are given these, as our importer wrote them.
LEAD_FIELDS = tuple(field.name for field in STAGED)


def validated_rows(schema: str, created: int) -> list[dict]:
    """The leads our importer created, as it wrote them: the same validated data for all."""
    from django.db import connection

    from leads.models import Lead

    connection.set_schema(schema)
    rows = list(Lead.objects.order_by("id").values(*LEAD_FIELDS, "stage_id"))
    connection.set_schema_to_public()
    if len(rows) != created:
        raise SystemExit(f"bench: {schema} holds {len(rows):,} leads; the import made {created:,}")
    return rows


def with_agency(schema: str):
    from django.db import connection

    from tenants.models import Agency

    connection.set_tenant(Agency.objects.get(schema_name=schema))


def import_export_run(schema: str, rows: list[dict]) -> float:
    import tablib
    from django.db import connection
    from import_export import resources

    from leads.models import Lead

    with_agency(schema)

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead

    columns = [field.name for field in DETAILS]  # what a file says; the rest is derived
    # import_id_fields is ("id",) by default: an empty id makes every row a new lead.
    dataset = tablib.Dataset(headers=["id", *columns, "source", "stage"])
    for row in rows:
        values = []
        for name in columns:
            value = row[name]
            if isinstance(value, list):
                value = ",".join(value)
            values.append("" if value is None else value)
        dataset.append(["", *values, "csv", row["stage_id"]])
    text = dataset.export("csv")
    started = time.perf_counter()
    loaded = tablib.Dataset().load(text, format="csv")
    result = LeadResource().import_data(loaded, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    imported = Lead.objects.count()
    connection.set_schema_to_public()
    if result.has_errors() or imported != len(rows):
        raise SystemExit(f"bench: django-import-export imported {imported} of {len(rows)} rows")
    return seconds


def bulk_create_run(schema: str, rows: list[dict]) -> float:
    from django.db import connection, transaction

    from leads.models import Lead

    with_agency(schema)
    started = time.perf_counter()
    with transaction.atomic():
        Lead.objects.bulk_create([Lead(source="csv", **row) for row in rows], batch_size=1000)
    seconds = time.perf_counter() - started
    connection.set_schema_to_public()
    return seconds


def copy_run(schema: str, rows: list[dict]) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from leads.importer.staging import copy_value

    with_agency(schema)
    now = timezone.now().isoformat()
    columns = [
        *LEAD_FIELDS,
        "stage_id",
        "source",
        "source_details",
        "lost_reason",
        "tags",
        "first_response_channel",
        "created_at",
        "updated_at",
    ]
    lines = []
    for row in rows:
        cells = [copy_value(row[name]) for name in LEAD_FIELDS]
        cells += [str(row["stage_id"]), "csv", "{}", "", "{}", "", now, now]
        lines.append("\t".join(cells))
    payload = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY leads_lead ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(payload)
    seconds = time.perf_counter() - started
    connection.set_schema_to_public()
    return seconds


# --- main -----------------------------------------------------------------------------------------


def create_agency(slug: str):
    from tenants.services import agency_create

    with redirect_stdout(io.StringIO()):
        return agency_create(
            slug=slug,
            name=f"Bench {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            admin_name="Bench Admin",
        )


def run(rows: int, small_rows: int, workdir: Path) -> dict:
    from django.conf import settings
    from django.db import connection

    from tenants.provisioning import migrate_everything

    settings.DEBUG = False  # no query log: every way runs without it
    print("bench: migrating and creating the agencies ...", flush=True)
    migrate_everything(verbosity=0)
    agencies = {
        name: create_agency(f"bench-csv-{name}").schema_name
        for name in ("ours", "ours-small", "iexport", "bulk", "copy")
    }
    connection.set_schema_to_public()

    print(f"bench: writing a {rows:,}-row file ...", flush=True)
    big = workdir / "leads.csv"
    made = generate(big, rows)
    small = workdir / "leads-small.csv"
    head(big, small_rows, small)
    size_mb = big.stat().st_size / 1e6

    print(f"bench: our importer, {small_rows:,} rows ...", flush=True)
    ours_small = ours(agencies["ours-small"], small)
    print(f"bench: our importer, {rows:,} rows ...", flush=True)
    ours_big = ours(agencies["ours"], big)
    for job in (ours_small, ours_big):
        if job["status"] != "done":
            raise SystemExit(f"bench: our import of {job['rows']:,} rows ended {job['status']}")

    # The baselines insert exactly the leads ours created, validated and normalised by it.
    accepted_small = validated_rows(agencies["ours-small"], ours_small["created"])
    accepted = validated_rows(agencies["ours"], ours_big["created"])
    print(f"bench: django-import-export, {len(accepted_small):,} leads ...", flush=True)
    iexport_seconds = import_export_run(agencies["iexport"], accepted_small)
    print(f"bench: bulk_create(batch_size=1000), {len(accepted):,} leads ...", flush=True)
    bulk_seconds = bulk_create_run(agencies["bulk"], accepted)
    print(f"bench: COPY, {len(accepted):,} leads ...", flush=True)
    copy_seconds = copy_run(agencies["copy"], accepted)

    ways = {
        "ours, small file": (small_rows, ours_small["created"], ours_small["seconds"]),
        "django-import-export": (None, len(accepted_small), iexport_seconds),
        "ours, whole file": (rows, ours_big["created"], ours_big["seconds"]),
        "bulk_create": (None, len(accepted), bulk_seconds),
        "COPY": (None, len(accepted), copy_seconds),
    }
    rates = {way: created / seconds for way, (_, created, seconds) in ways.items()}
    memory_ratio = ours_big["rss_peak_kb"] / ours_small["rss_peak_kb"]
    workers_ratio = (
        ours_big["rss_workers_peak_kb"] / ours_small["rss_workers_peak_kb"]
        if ours_small["rss_workers_peak_kb"]
        else None
    )
    return {
        "benchmark": "csv_import",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "file": {"rows": rows, "small_rows": small_rows, "megabytes": round(size_mb, 1), **made},
        "ours": {"small": ours_small, "full": ours_big},
        "ways": {
            way: {
                "file_rows": file_rows,
                "leads_created": created,
                "seconds": round(seconds, 3),
                "leads_per_second": round(rates[way]),
            }
            for way, (file_rows, created, seconds) in ways.items()
        },
        "ratios": {
            # Each on the same leads: ours on the small file against django-import-export,
            # ours on the whole file against bulk_create and COPY.
            "ours / django-import-export": round(
                rates["ours, small file"] / rates["django-import-export"], 1
            ),
            "ours / bulk_create": round(rates["ours, whole file"] / rates["bulk_create"], 2),
            "ours / COPY": round(rates["ours, whole file"] / rates["COPY"], 3),
        },
        "memory": {
            "peak_rss_whole_over_small": round(memory_ratio, 3),
            "peak_workers_rss_whole_over_small": (
                round(workers_ratio, 3) if workers_ratio else None
            ),
        },
    }


def machine_info() -> dict[str, object]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version,
    }


def report(results: dict) -> None:
    file = results["file"]
    print()
    print(
        f"CSV import of {file['rows']:,} rows ({file['megabytes']} MB; {file['invalid']:,} "
        f"invalid, {file['repeats']:,} repeats), and of its first {file['small_rows']:,} rows"
    )
    print(f"{'way':<22} {'file rows':>10} {'leads in':>9} {'seconds':>9} {'leads/s':>9}")
    print("-" * 63)
    for way, row in results["ways"].items():
        file_rows = f"{row['file_rows']:,}" if row["file_rows"] else "-"
        print(
            f"{way:<22} {file_rows:>10} {row['leads_created']:>9,} {row['seconds']:>9.2f} "
            f"{row['leads_per_second']:>9,}"
        )
    for size in ("small", "full"):
        job = results["ours"][size]
        print(
            f"  ours, {job['rows']:,} rows: {job['created']:,} created, {job['updated']:,} "
            f"folded into a lead met earlier, {job['rejected']:,} rejected; upload checks "
            f"{job['inspect_seconds']:.2f} s"
        )
    print("  (leads/s counts the leads created: the baselines are given exactly those)")
    print()
    sizes = {
        "django-import-export": f"{results['ways']['django-import-export']['leads_created']:,}",
        "bulk_create": f"{results['ways']['bulk_create']['leads_created']:,}",
    }
    for name, goal in GOALS.items():
        ratio = results["ratios"][f"ours / {name}"]
        verdict = "meets" if ratio >= goal else "MISSES"
        print(
            f"ours is {ratio:g}x {name} on the same {sizes[name]} leads "
            f"({verdict} the {goal:g}x goal)"
        )
    copy_ratio = results["ratios"]["ours / COPY"]
    print(f"ours runs at {copy_ratio:.2f} of raw COPY (aim: {COPY_AIM:g})")
    memory = results["memory"]
    small, big = results["ours"]["small"], results["ours"]["full"]
    print(
        f"peak memory of the importing process: {small['rss_peak_kb'] / 1024:.0f} MB at "
        f"{small['rows']:,} rows, {big['rss_peak_kb'] / 1024:.0f} MB at {big['rows']:,} "
        f"({memory['peak_rss_whole_over_small']:.2f}x; goal at most 1.5x)"
    )
    if memory["peak_workers_rss_whole_over_small"]:
        print(
            f"peak memory of a worker process: {small['rss_workers_peak_kb'] / 1024:.0f} MB / "
            f"{big['rss_workers_peak_kb'] / 1024:.0f} MB "
            f"({memory['peak_workers_rss_whole_over_small']:.2f}x)"
        )
    machine = results["machine"]
    print(
        f"{results['date']}, {machine['cpus']} CPUs (load {machine['load_average'][0]}), "
        f"PostgreSQL {machine['postgresql']}, Python {machine['python']}, "
        f"{results['wall_seconds']} s in all"
    )


def main() -> int:
    from bench.agency_creation import scratch_database

    rows = int(os.environ.get("BENCH_CSV_ROWS", 100_000))
    small_rows = min(rows, int(os.environ.get("BENCH_CSV_SMALL_ROWS", 10_000)))
    database = os.environ.get("BENCH_CSV_DATABASE", "aqari_bench_csv")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    wall = time.perf_counter()
    with scratch_database(database), tempfile.TemporaryDirectory() as workdir:
        results = run(rows, small_rows, Path(workdir))
    results["wall_seconds"] = round(time.perf_counter() - wall, 1)
    report(results)
    out = results_path("csv_import.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--ours":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")
        print(json.dumps(ours_in_process(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    sys.exit(main())

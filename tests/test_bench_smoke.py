"""`make bench` runs end to end: every benchmark, at tiny sizes, in one `python -m bench`
process as `make bench` starts it, against the test run's PostgreSQL server. Each prints its
ratios against a baseline measured in the same run; the times themselves are not checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "BENCH_AGENCIES": "1",
    "BENCH_LEADS_LARGE": "2000",
    "BENCH_LIST_REQUESTS": "2",
    "BENCH_SEARCH_ROUNDS": "1",
    "BENCH_CSV_ROWS": "1500",
    "BENCH_CSV_SMALL_ROWS": "500",
}
RATIO = r"\d+(\.\d+)?x"
PRINTED = {
    "agency creation": rf"clone is {RATIO} faster than migrate",
    "lead list, manager": rf"manager \(sees [\d,]+ and [\d,]+ leads\): p95 at [\d,]+ vs [\d,]+ "
    rf"leads {RATIO} .*page [\d,]+ vs page 1 {RATIO}",
    "lead list, agent": rf"agent \(sees [\d,]+ and [\d,]+ leads\): p95 at [\d,]+ vs [\d,]+ "
    rf"leads {RATIO} .*page [\d,]+ vs page 1 {RATIO}",
    "lead list, agent vs manager": rf"agent vs manager, page 1 at [\d,]+ leads: {RATIO}",
    "search, scale": rf"p95 at [\d,]+ vs [\d,]+ leads: {RATIO}",
    "search, index": rf"with the index vs without: {RATIO} faster",
    "csv import, django-import-export": rf"ours is {RATIO} django-import-export on the same",
    "csv import, bulk_create": rf"ours is {RATIO} bulk_create on the same",
    "csv import, COPY": r"ours runs at \d+\.\d+ of raw COPY",
}
RESULTS = ("latest.json", "lead_list.json", "search.json", "csv_import.json")


def _server_url() -> str:
    from django.conf import settings

    return os.environ.get("DATABASE_URL") or settings.DATABASE_URL


def _admin(url: str) -> psycopg.Connection:
    from bench import with_database

    return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=10)


def _databases_like(url: str, prefix: str) -> list[str]:
    with _admin(url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
        ).fetchall()
    return [name for (name,) in rows]


@pytest.fixture
def scratch_prefix() -> str:
    """A prefix for this run's scratch databases: two test runs at once never share one.
    Whatever the benchmarks leave behind is dropped."""
    prefix = f"aqari_bench_smoke_{os.getpid()}_{uuid.uuid4().hex[:8]}_"
    yield prefix
    url = _server_url()
    with _admin(url) as conn:
        for name in _databases_like(url, prefix):
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(statement.format(sql.Identifier(name)))


def test_every_benchmark_runs_and_prints_its_ratios(scratch_prefix, tmp_path):
    # given: tiny sizes, scratch databases of this run's own, results written aside
    url = _server_url()
    env = {
        **os.environ,
        **TINY,
        "DATABASE_URL": url,
        "BENCH_DATABASE": scratch_prefix + "agencies",
        "BENCH_LEADS_DATABASE": scratch_prefix + "leads",
        "BENCH_CSV_DATABASE": scratch_prefix + "csv",
        "BENCH_RESULTS_DIR": str(tmp_path),
        "AQARI_FAST_PASSWORD_HASHER": "1",
    }
    env.pop("BENCH_LEADS_REUSE", None)

    # when: `python -m bench` runs, as `make bench` starts it
    finished = subprocess.run(
        [sys.executable, "-m", "bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # then: it succeeds, prints every ratio, writes every result, and leaves no database
    output = finished.stdout
    assert finished.returncode == 0, output[-3000:] + finished.stderr[-5000:]
    missing = [what for what, pattern in PRINTED.items() if not re.search(pattern, output)]
    assert not missing, f"not printed: {missing}\n{output[-3000:]}"
    for name in RESULTS:
        assert json.loads((tmp_path / name).read_text())["benchmark"]
    assert _databases_like(url, scratch_prefix) == []

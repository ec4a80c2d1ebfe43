"""The embedded PostgreSQL/Redis helpers and the `make run` launcher.

Plain tests without Django's database: each uses its own short data dir under /tmp (unix socket
paths are limited to ~107 bytes) and never touches the repository's .data servers.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from aqari import embedded

REPO_DIR = Path(__file__).resolve().parents[2]


def _make_data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="aq", dir="/tmp")).resolve()


def _cleanup_data_dir(path: Path) -> None:
    embedded.stop_postgres(path)
    embedded.stop_redis(path)
    shutil.rmtree(path, ignore_errors=True)


def _server_processes(path: Path) -> list[psutil.Process]:
    """Live processes whose command line names this data dir: postmaster, redis-server."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any(str(path) in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def _timed(function, *args):
    start = time.monotonic()
    result = function(*args)
    return result, time.monotonic() - start


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> None:
    """Replaces the root conftest's autouse fixture of this name, which resets the Django
    connection's schema: these tests must run without Django settings or a database
    (`-p no:django`)."""


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    path = _make_data_dir()
    try:
        yield path
    finally:
        _cleanup_data_dir(path)


@pytest.fixture
def no_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_ensure_starts_connects_and_reuses(data_dir: Path) -> None:
    database_url = embedded.ensure_postgres(data_dir)
    assert database_url == f"postgresql://postgres@/aqari?host={data_dir / 'pg'}"
    with psycopg.connect(database_url) as conn:
        name, version = conn.execute(
            "SELECT current_database(), current_setting('server_version_num')::int"
        ).fetchone()
    assert (name, version // 10000) == ("aqari", 16)

    again, elapsed = _timed(embedded.ensure_postgres, data_dir)
    assert again == database_url
    assert elapsed < 0.5

    redis_url = embedded.ensure_redis(data_dir)
    assert redis_url == f"unix://{data_dir / 'redis' / 'redis.sock'}?db=0"
    client = redis.Redis.from_url(redis_url)
    client.set("aqari:test", "1")
    assert client.get("aqari:test") == b"1"
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    client.close()

    again, elapsed = _timed(embedded.ensure_redis, data_dir)
    assert again == redis_url
    assert elapsed < 0.5

    # Both are daemons in their own sessions: a Ctrl-C in our terminal cannot reach them and
    # they outlive this process.
    processes = _server_processes(data_dir)
    assert {p.name() for p in processes} >= {"postgres", "redis-server"}
    assert all(os.getsid(p.pid) != os.getsid(0) for p in processes)


def test_stop_leaves_no_processes_and_restart_is_fast(data_dir: Path) -> None:
    database_url = embedded.ensure_postgres(data_dir)
    embedded.ensure_redis(data_dir)

    embedded.stop_postgres(data_dir)
    embedded.stop_redis(data_dir)
    assert _server_processes(data_dir) == []
    assert not (data_dir / "redis" / "redis.sock").exists()
    # Stopping what is not running is a no-op.
    embedded.stop_postgres(data_dir)
    embedded.stop_redis(data_dir)

    again, elapsed = _timed(embedded.ensure_postgres, data_dir)
    assert again == database_url
    assert elapsed < 3
    with psycopg.connect(again) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_services_stops_only_what_it_started(data_dir: Path, no_urls: None) -> None:
    embedded.stop_postgres(data_dir)
    embedded.ensure_redis(data_dir)
    redis_pid = embedded._redis_pid(data_dir)

    with embedded.services(data_dir) as env:
        assert env == {
            "DATABASE_URL": embedded.ensure_postgres(data_dir),
            "REDIS_URL": embedded.ensure_redis(data_dir),
        }
        assert embedded._postgres_status(data_dir) is not None

    assert embedded._postgres_status(data_dir) is None
    assert embedded._redis_pid(data_dir) == redis_pid
    assert redis.Redis.from_url(env["REDIS_URL"]).ping()


def test_services_leaves_configured_services_alone(
    data_dir: Path, no_urls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded.stop_postgres(data_dir)
    embedded.stop_redis(data_dir)
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@elsewhere/db")

    with embedded.services(data_dir) as env:
        assert list(env) == ["REDIS_URL"]
        assert embedded._postgres_status(data_dir) is None
        assert redis.Redis.from_url(env["REDIS_URL"]).ping()

    assert _server_processes(data_dir) == []


def test_services_keeps_a_shared_server_until_its_last_user_leaves(
    data_dir: Path, no_urls: None
) -> None:
    embedded.stop_postgres(data_dir)
    embedded.stop_redis(data_dir)

    first = embedded.services(data_dir)
    second = embedded.services(data_dir)
    env = first.__enter__()
    assert second.__enter__() == env
    first.__exit__(None, None, None)
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    second.__exit__(None, None, None)
    assert _server_processes(data_dir) == []


def test_services_stop_false_leaves_servers_running(data_dir: Path, no_urls: None) -> None:
    embedded.stop_postgres(data_dir)
    with embedded.services(data_dir, stop=False) as env:
        pass
    assert embedded._postgres_status(data_dir) == env["DATABASE_URL"]


def test_concurrent_cold_starts_share_one_server() -> None:
    path = _make_data_dir()
    script = (
        "import sys; from aqari import embedded as e; "
        "print(e.ensure_postgres(sys.argv[1])); print(e.ensure_redis(sys.argv[1]))"
    )
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path)],
                cwd=REPO_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [proc.communicate(timeout=60) for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0], results
        assert results[0][0] == results[1][0]
        processes = _server_processes(path)
        postmasters = [p for p in processes if "-D" in p.cmdline()]
        redis_servers = [p for p in processes if p.name() == "redis-server"]
        assert (len(postmasters), len(redis_servers)) == (1, 1)
    finally:
        _cleanup_data_dir(path)


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.Popen(
        [sys.executable, "-m", "aqari.embedded", *args],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def test_run_passes_urls_and_exit_code_then_stops(data_dir: Path) -> None:
    embedded.stop_postgres(data_dir)
    embedded.stop_redis(data_dir)
    child = "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL']); exit(5)"
    proc = _cli("run", "--data-dir", str(data_dir), "--", sys.executable, "-c", child)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 5, output
    assert f"host={data_dir / 'pg'}" in output
    assert f"unix://{data_dir / 'redis' / 'redis.sock'}" in output
    assert _server_processes(data_dir) == []


def test_run_forwards_sigterm(data_dir: Path) -> None:
    child = textwrap.dedent(
        """
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    proc = _cli("run", "--data-dir", str(data_dir), "--", sys.executable, "-c", child)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 42, output
    assert _server_processes(data_dir) == []


# --- launcher --------------------------------------------------------------------------------

_LAUNCHER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from aqari import launcher

    py = sys.executable
    child = '''
    import os, signal, sys, time
    name, behaviour = sys.argv[1], sys.argv[2]
    if behaviour == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("hello", os.getpid(), flush=True)
    if behaviour == "crash":
        time.sleep(0.5)
        sys.exit(3)
    time.sleep(60)
    '''
    behaviours = dict(arg.split("=") for arg in sys.argv[2:])
    children = {
        name: [py, "-c", child, name, behaviour] for name, behaviour in behaviours.items()
    }
    setup = [[py, "-c", "print('setup done')"]]
    sys.exit(
        launcher.supervise(
            setup, children, port=1, data_dir=Path(sys.argv[1]), stop_timeout=1
        )
    )
    """
)


class _Launcher:
    """A launcher subprocess with fake children and external DATABASE_URL / REDIS_URL."""

    def __init__(self, data_dir: Path, **behaviours: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": "postgresql://nobody@nowhere/none",
            "REDIS_URL": "redis://nowhere:1/0",
        }
        args = [f"{name}={behaviour}" for name, behaviour in behaviours.items()]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER_SCRIPT, str(data_dir), *args],
            cwd=REPO_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, predicate, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out; output so far: {self.lines}") from None
            if line is None:
                raise AssertionError(f"launcher exited; output: {self.lines}")
            self.lines.append(line)

    def finish(self, timeout: float = 20) -> int:
        returncode = self.proc.wait(timeout=timeout)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return returncode

    def child_pids(self) -> list[int]:
        return [int(line.split()[-1]) for line in self.lines if "| hello " in line]


def _all_gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def test_launcher_sigint_stops_every_child() -> None:
    path = _make_data_dir()
    try:
        launcher = _Launcher(path, web="sleep", worker="sleep", beat="stubborn")
        launcher.wait_for(lambda lines: sum("| hello " in line for line in lines) == 3)
        assert "setup  | setup done" in launcher.lines
        assert {line.split("|")[0].strip() for line in launcher.lines if "| hello" in line} == {
            "web",
            "worker",
            "beat",
        }
        launcher.proc.send_signal(signal.SIGINT)
        assert launcher.finish() == 0, launcher.lines
        assert any("killing beat" in line for line in launcher.lines)
        assert _all_gone(launcher.child_pids())
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_launcher_exits_nonzero_when_a_child_dies() -> None:
    path = _make_data_dir()
    try:
        launcher = _Launcher(path, web="sleep", worker="crash", beat="sleep")
        returncode = launcher.finish()
        assert returncode != 0
        assert any("worker exited unexpectedly (exit code 3)" in line for line in launcher.lines)
        assert _all_gone(launcher.child_pids())
    finally:
        shutil.rmtree(path, ignore_errors=True)

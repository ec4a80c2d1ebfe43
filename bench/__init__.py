"""Benchmarks: `make bench` runs them against the embedded PostgreSQL and Redis.

Each benchmark works in its own scratch database on the same server and drops it at the end,
so development data under `.data/` is never touched. Every process of a benchmark (the one
`python -m bench` runs, the importer's own process, its worker processes) works in that
scratch database: `use_database` points Django at it and checks where the connection landed.
"""

import os
from pathlib import Path
from urllib.parse import urlparse

# The server DATABASE_URL named when the benchmarks started. A benchmark then points
# DATABASE_URL at its scratch database; the next one is still made beside the original.
_SERVER_URL = os.environ.get("DATABASE_URL")


def scratch_server_url(name: str) -> str:
    """DATABASE_URL as the benchmarks found it, which names the server a scratch database
    `name` is made on: it must be set (`make bench` sets it) and must not name `name` itself,
    which is dropped at the end."""
    base = _SERVER_URL
    if not base:
        raise SystemExit(
            "bench: DATABASE_URL is not set. Run `make bench`, which starts the embedded "
            "PostgreSQL, or set DATABASE_URL to a server where a scratch database may be created."
        )
    if database_name(base) == name:
        raise SystemExit(f"bench: refusing to use {name!r}: it is the database DATABASE_URL names.")
    return base


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    """The same server and credentials as `url`, database `name`."""
    return urlparse(url)._replace(path="/" + name).geturl()


def use_database(url: str) -> None:
    """Point this process at database `url`: DATABASE_URL (which child processes inherit) and
    Django's connection, whether or not Django was already set up (by an earlier benchmark of
    the same process, or by an import that read the settings). Refuses to go on unless the
    connection really is there: nothing here may touch the development data."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection

    name = _django_point_at(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        actual = cursor.fetchone()[0]
    if actual != name:
        raise SystemExit(f"bench: connected to {actual!r}, not the database {name!r}")


def release_database(previous: str | None) -> None:
    """Close this process's connections and point it back at `previous` (DATABASE_URL before
    `use_database`), without connecting: the next benchmark points it at its own database."""
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()
        if previous is not None:
            _django_point_at(previous)


def _django_point_at(url: str) -> str:
    """Django's default connection settings for `url` (closed connections reconnect there);
    returns the database's name."""
    from django.conf import settings
    from django.db import connections

    from aqari.settings import database_from_url

    wanted = database_from_url(url)
    connections.close_all()
    for dictionary in (settings.DATABASES["default"], connections["default"].settings_dict):
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS"):
            dictionary[key] = wanted[key]
    return wanted["NAME"]


def connected_database_url() -> str:
    """A DATABASE_URL for the database Django's default connection uses in this process, for
    the processes it starts: they then work where it works, whatever the environment says."""
    from urllib.parse import quote, urlencode

    from django.db import connections

    config = connections["default"].settings_dict
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    options = dict(config.get("OPTIONS") or {})
    host = config["HOST"] or ""
    netloc = f"{credentials}@" if credentials else ""
    if host.startswith("/"):
        options["host"] = host  # a unix socket directory
    else:
        netloc += host + (f":{config['PORT']}" if config["PORT"] else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{netloc}/{quote(config['NAME'], safe='')}{query}"


def results_path(filename: str) -> Path:
    """Where a benchmark writes its results: bench/results/, or BENCH_RESULTS_DIR."""
    default = Path(__file__).resolve().parent / "results"
    directory = Path(os.environ.get("BENCH_RESULTS_DIR") or default)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / filename

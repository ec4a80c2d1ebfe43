"""Benchmarks: `make bench` runs them against the embedded PostgreSQL and Redis.

Each benchmark works in its own scratch database on the same server and drops it at the end,
so development data under `.data/` is never touched.
"""

import os
from urllib.parse import urlparse


def scratch_server_url(name: str) -> str:
    """DATABASE_URL, which names the server a scratch database `name` is made on: it must be
    set (`make bench` sets it) and must not name `name` itself, which is dropped at the end."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit(
            "bench: DATABASE_URL is not set. Run `make bench`, which starts the embedded "
            "PostgreSQL, or set DATABASE_URL to a server where a scratch database may be created."
        )
    if urlparse(base).path.lstrip("/") == name:
        raise SystemExit(f"bench: refusing to use {name!r}: it is the database DATABASE_URL names.")
    return base

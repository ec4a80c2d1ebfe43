"""Benchmarks: `make bench` runs them against the embedded PostgreSQL and Redis.

Each benchmark works in its own scratch database on the same server and drops it at the end,
so development data under `.data/` is never touched.
"""

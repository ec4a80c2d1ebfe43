"""Creating an agency's schema by copying the migrated template, in one round trip.

django-tenants' own `clone_schema()` rebuilds every definition in PL/pgSQL on each call and then
fakes the whole migration history; most of an agency's creation time went there. Instead we
read the template's definitions from the catalog once (cached until the template's migration
history changes) into one SQL script with the schema name as a placeholder, and replay it:
tables, identity columns, constraints and indexes keep the template's names, so later
migrations apply to a copy exactly as they do to the template. Rows the template holds
(`django_migrations`, default pipeline stages, ...) are copied with them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql

PLACEHOLDER = "__aqari_new_schema__"


@dataclass(frozen=True)
class CloneScript:
    template: str
    version: tuple[int, int]
    statements: str


_cache: dict[str, CloneScript] = {}
_lock = threading.Lock()


def _template_version(template: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT count(*), coalesce(max(id), 0) FROM {}.django_migrations").format(
                sql.Identifier(template)
            )
        )
        count, last = cursor.fetchone()
    return int(count), int(last)


def _qualify(definition: str, template: str) -> str:
    return definition.replace(f'"{template}".', f'"{PLACEHOLDER}".').replace(
        f"{template}.", f'"{PLACEHOLDER}".'
    )


def _build_script(template: str) -> str:
    """Read the template's tables, constraints, indexes, sequences and rows from the catalog."""
    parts: list[str] = [f'CREATE SCHEMA "{PLACEHOLDER}";']
    with transaction.atomic(), connection.cursor() as cursor:
        # Definitions come out schema-qualified only when the schema is not on the path.
        cursor.execute("SET LOCAL search_path TO pg_catalog")
        cursor.execute(
            """
            SELECT c.relname, c.oid FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.relname
            """,
            [template],
        )
        tables = cursor.fetchall()
        for name, _oid in tables:
            parts.append(
                f'CREATE TABLE "{PLACEHOLDER}"."{name}" (LIKE "{template}"."{name}" '
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED "
                "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS);"
            )
        # Primary keys and unique constraints first, then foreign keys that rely on them.
        cursor.execute(
            """
            SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'x', 'f')
            ORDER BY CASE con.contype WHEN 'f' THEN 1 ELSE 0 END, c.relname, con.conname
            """,
            [template],
        )
        for table, name, definition, _kind in cursor.fetchall():
            parts.append(
                f'ALTER TABLE "{PLACEHOLDER}"."{table}" ADD CONSTRAINT "{name}" '
                f"{_qualify(definition, template)};"
            )
        # Indexes that no constraint owns (constraint indexes exist already).
        cursor.execute(
            """
            SELECT pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = ic.relnamespace
            WHERE n.nspname = %s
              AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
            ORDER BY ic.relname
            """,
            [template],
        )
        for (definition,) in cursor.fetchall():
            parts.append(_qualify(definition, template) + ";")
        # Rows the template holds, and identity sequences moved past them.
        for name, oid in tables:
            cursor.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {}.{})").format(
                    sql.Identifier(template), sql.Identifier(name)
                )
            )
            if not cursor.fetchone()[0]:
                continue
            parts.append(
                # Table and column names come from the catalog, not from users.
                f'INSERT INTO "{PLACEHOLDER}"."{name}" OVERRIDING SYSTEM VALUE '  # noqa: S608
                f'SELECT * FROM "{template}"."{name}";'
            )
            cursor.execute(
                """
                SELECT a.attname FROM pg_attribute a
                WHERE a.attrelid = %s AND a.attidentity <> '' AND NOT a.attisdropped
                """,
                [oid],
            )
            for (column,) in cursor.fetchall():
                parts.append(
                    "SELECT setval(pg_get_serial_sequence("  # noqa: S608
                    f"'\"{PLACEHOLDER}\".\"{name}\"', '{column}'), "
                    f'coalesce((SELECT max("{column}") FROM "{PLACEHOLDER}"."{name}"), 0) + 1, '
                    "false);"
                )
    return "\n".join(parts)


def clone_script(template: str) -> CloneScript:
    version = _template_version(template)
    with _lock:
        cached = _cache.get(template)
        if cached is not None and cached.version == version:
            return cached
    script = CloneScript(template=template, version=version, statements=_build_script(template))
    with _lock:
        _cache[template] = script
    return script


def clone_cache_clear() -> None:
    with _lock:
        _cache.clear()


def schema_clone(*, template: str, new_schema: str) -> None:
    """Create `new_schema` as a copy of `template`. Runs inside the caller's transaction."""
    script = clone_script(template)
    if f'"{PLACEHOLDER}"' in new_schema or '"' in new_schema:
        raise ValueError("Invalid schema name.")
    with connection.cursor() as cursor:
        cursor.execute(script.statements.replace(PLACEHOLDER, new_schema))

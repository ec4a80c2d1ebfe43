"""Writes for CSV / Excel imports: upload, start, run.

How a run writes (`import_job_run`): the file is streamed in chunks of `CHUNK_SIZE` rows,
cleaned by worker processes (pipeline.py), and each chunk is written in one transaction:

1. take the agency's import lock (`IMPORT_LOCK`, exclusive; `lead_capture` takes it shared,
   so a live capture waits for the chunk being written, at most one chunk, then sees its
   leads: no duplicate can slip in between);
2. COPY the chunk into a TEMP staging table;
3. match each new person against the agency's leads by phone or email (the oldest wins, as
   in `lead_capture`), give the others ids, INSERT ... SELECT them with the default stage,
   `phone_digits` and `search_grams` as `lead_capture` fills them;
4. fold the rows that matched an existing lead into it (fill what it lacked, add phones);
5. one `imported` LeadActivity per row on the lead it went to, and the job's counters.

A chunk commits whole or not at all; if the database refuses it (it should not: rows are
validated first), it is split in halves under savepoints until the refused row is found and
reported, so one bad row never costs its neighbours. Counters commit with the chunk, so a run
that dies resumes after the last committed chunk and never writes a row twice.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime

from celery import current_app
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from leads.fields import FIELDS_BY_NAME, FILLED_WHEN_EMPTY, FILLED_WHEN_UNSET, STAGED
from leads.importer import mapping as m
from leads.importer.jobs import (
    ALREADY_IMPORTED,
    FAILED_INTERNAL,
    FAILED_UNREADABLE,
    import_job_format,
    import_job_plan,
    job_lock_release,
    job_lock_try,
    lock_key,
)
from leads.importer.parsing import file_inspect, table_open
from leads.importer.staging import (
    STAGED_NAMES,
    STAGING_COLUMNS,
    ChunkResult,
    Problem,
    chunks_cleaned,
    chunks_of,
    copy_value,
    lead_values_absorb,
    lead_values_derive,
    staged_sql_type,
)
from leads.models import ImportJob, Lead, LeadActivity, Source
from leads.selectors.imports import import_job_earlier_same_file
from leads.services.intake import IMPORT_LOCK, default_stage

logger = logging.getLogger(__name__)

# Queued by name: leads.tasks calls the services, so a service importing it would close a circle.
RUN_TASK = "leads.tasks.lead_import_run"

CHUNK_SIZE = 10_000
PROCESSES = 2
# Below this, forking the workers costs more than the second core saves.
PARALLEL_FROM_ROWS = 2 * CHUNK_SIZE


# --- upload and start -----------------------------------------------------------------------


@transaction.atomic
def import_job_create(*, actor: Membership, upload: UploadedFile) -> ImportJob:
    """Check an uploaded file and keep it with a first guess of its columns' fields.
    Raises ValidationError (a sentence to show) and keeps nothing if the file can't be read."""
    name = os.path.basename(upload.name or "leads.csv")[:200]
    summary = file_inspect(upload.file, name=name, size=upload.size or 0)
    job = ImportJob(
        created_by=actor,
        original_name=name,
        file_sha256=summary.sha256,
        encoding=summary.format.encoding,
        delimiter=summary.format.delimiter,
        total_rows=summary.total_rows,
        mapping={
            "kind": summary.format.kind,
            "headers": summary.headers,
            "columns": m.mapping_guess(summary.headers),
        },
    )
    upload.file.seek(0)
    # The stored name says nothing about the people in it.
    extension = os.path.splitext(name)[1].lower()
    job.file.save(f"import{extension}", File(upload.file), save=False)
    job.full_clean(exclude=["file", "rejected_file"])
    job.save()
    logger.info("import uploaded", extra={"import_job_id": job.pk, "rows": job.total_rows})
    return job


@transaction.atomic
def import_job_start(*, job: ImportJob, actor: Membership, columns: list[str]) -> ImportJob:
    """Save the mapping the person chose and queue the run (on commit)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.UPLOADED:
        raise ValidationError(_("This import has already started."), code="started")
    headers = list(job.mapping.get("headers", []))
    job.mapping = {**job.mapping, "columns": m.mapping_clean(columns, headers)}
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["mapping", "status"])
    _queue_run(job)
    logger.info("import queued", extra={"import_job_id": job.pk})
    return job


def _queue_run(job: ImportJob) -> None:
    job_id = job.pk
    transaction.on_commit(lambda: current_app.tasks[RUN_TASK].delay(job_id))


@transaction.atomic
def import_job_resume(*, job: ImportJob, actor: Membership) -> ImportJob:
    """Queue a run again when its message was lost or its worker died. Harmless if it is in
    fact running: a second run finds the job locked and stops at once."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        raise ValidationError(_("This import is not waiting to run."), code="not_waiting")
    _queue_run(job)
    logger.info("import re-queued", extra={"import_job_id": job.pk})
    return job


# --- run --------------------------------------------------------------------------------------


def import_job_run(
    *, job_id: int, chunk_size: int = CHUNK_SIZE, processes: int | None = None
) -> ImportJob | None:
    """Run an import to the end (the task calls this). Safe to call twice or after a crash:
    a job being run elsewhere is left alone, a finished one is not touched, an interrupted one
    resumes after its last committed chunk."""
    if not job_lock_try(job_id):
        logger.info("import already running elsewhere", extra={"import_job_id": job_id})
        return None
    try:
        job = _run_begin(job_id)
        if job is None:
            return None
        if job.status != ImportJob.Status.RUNNING:
            if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
                _upload_discard(job)
            return job
        try:
            _run_chunks(job, chunk_size=chunk_size, processes=processes)
        except ValidationError as error:
            _run_fail(job, FAILED_UNREADABLE, " ".join(error.messages))
        except Exception as error:
            # No personal data: a database error can quote a value, so only its type is logged.
            logger.error(
                "import failed",
                extra={"import_job_id": job.pk, "error": type(error).__name__},
            )
            _run_fail(job, FAILED_INTERNAL, "")
        job.refresh_from_db()
        _upload_discard(job)
        return job
    finally:
        job_lock_release(job_id)


def _upload_discard(job: ImportJob) -> None:
    """A finished import needs no copy of the people in the file: only its SHA-256 (to spot
    the same file again), its counts and the rows with problems (for the person to fix)."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


@transaction.atomic
def _run_begin(job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    now = timezone.now()
    if job.status == ImportJob.Status.QUEUED and import_job_earlier_same_file(job) is not None:
        job.status = ImportJob.Status.DONE
        job.error = ALREADY_IMPORTED
        job.started_at = job.finished_at = now
        job.save(update_fields=["status", "error", "started_at", "finished_at"])
        logger.info("import skipped: same file already imported", extra={"import_job_id": job_id})
        return job
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or now
    job.save(update_fields=["status", "started_at"])
    return job


def _run_fail(job: ImportJob, code: str, message: str) -> None:
    text = code if not message else f"{code}: {message}"
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error=text[:500], finished_at=timezone.now()
    )


def _run_chunks(job: ImportJob, *, chunk_size: int, processes: int | None) -> None:
    plan = import_job_plan(job)
    if processes is None:
        processes = PROCESSES if job.total_rows >= PARALLEL_FROM_ROWS else 1
    already_written = job.processed_rows
    seen = 0
    partial = 0
    writer = _ChunkWriter(job)
    with (
        tempfile.TemporaryFile() as problems_file,
        job.file.open("rb") as stored,
        table_open(stored, import_job_format(job)) as table,
    ):
        # UTF-8 with a BOM, so Excel shows Arabic names right when the file is opened.
        text = io.TextIOWrapper(problems_file, encoding="utf-8-sig", newline="")
        problems = csv.writer(text)
        problems.writerow(["row", *job.mapping.get("headers", []), "reason"])
        refused: dict[int, str] = {}
        for result in chunks_cleaned(
            plan, chunks_of(table.rows(), chunk_size), processes=processes
        ):
            if seen + result.rows > already_written:
                # Chunks before this one were committed by an earlier, interrupted run.
                for problem in writer.write(result):
                    refused[problem.row_no] = problem.reason
            seen += result.rows
            for problem in result.problems:
                problems.writerow([problem.row_no, *problem.values, problem.reason])
                partial += 0 if problem.rejected else 1
            del result
        if refused:
            # Rows the database refused (there should be none) are read again for the report:
            # cheaper than keeping every chunk's cells in this process in case one is refused.
            with job.file.open("rb") as again, table_open(again, import_job_format(job)) as rows:
                for row_no, values in rows.rows():
                    if row_no in refused:
                        problems.writerow([row_no, *values, refused[row_no]])
        text.flush()
        text.detach()
        job.refresh_from_db()
        if job.rejected_rows or partial:
            problems_file.seek(0)
            job.rejected_file.save(f"import-{job.pk}-problems.csv", File(problems_file), save=False)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.total_rows = seen
    job.mapping = {**job.mapping, "partial_rows": partial}
    job.save(update_fields=["status", "finished_at", "total_rows", "mapping", "rejected_file"])
    logger.info(
        "import done",
        extra={
            "import_job_id": job.pk,
            "created_leads": job.created_leads,
            "updated_leads": job.updated_leads,
            "rejected_rows": job.rejected_rows,
        },
    )


# --- writing one chunk ----------------------------------------------------------------------


@dataclass
class _Written:
    created: int
    updated: int


class _ChunkWriter:
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.stage_id = default_stage().pk
        self.actor_id = job.created_by_id
        self.insert = _INSERT_LEADS_AND_ACTIVITIES.format(
            leads=_insert_sql(Lead, _LEAD_COLUMNS),
            activities=_insert_sql(LeadActivity, _ACTIVITY_COLUMNS),
        )
        self.phones_index = next(
            (
                index.name
                for index in Lead._meta.indexes
                if isinstance(index, GinIndex) and list(index.fields) == ["phones"]
            ),
            "",
        )

    def write(self, result: ChunkResult) -> list[Problem]:
        """Write one cleaned chunk; returns rows the database refused (normally none)."""
        refused: list[Problem] = []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", [lock_key(IMPORT_LOCK)]
                )
            now = timezone.now()
            written = self._write_lines(result.payload.splitlines(), now, refused)
            ImportJob.objects.filter(pk=self.job.pk).update(
                processed_rows=F("processed_rows") + result.rows,
                created_leads=F("created_leads") + written.created,
                updated_leads=F("updated_leads") + written.updated,
                rejected_rows=F("rejected_rows") + result.rejected + len(refused),
            )
        return refused

    def _write_lines(
        self, lines: list[bytes], now: datetime, refused: list[Problem], *, split: bool = False
    ) -> _Written:
        if not lines:
            return _Written(0, 0)
        try:
            with transaction.atomic():
                return self._write_staged(lines, now, split=split)
        except DatabaseError as error:
            if len(lines) == 1:
                row_no = int(lines[0].split(b"\t", 1)[0])
                logger.warning(
                    "import row refused",
                    extra={"import_job_id": self.job.pk, "error": type(error).__name__},
                )
                refused.append(
                    Problem(
                        row_no=row_no,
                        values=[],
                        reason=_(
                            "This row could not be saved. Check its values and import it again."
                        ),
                        rejected=True,
                    )
                )
                return _Written(0, 0)
        half = len(lines) // 2
        first = self._write_lines(lines[:half], now, refused, split=True)
        second = self._write_lines(lines[half:], now, refused, split=True)
        return _Written(first.created + second.created, first.updated + second.updated)

    def _write_staged(self, lines: list[bytes], now: datetime, *, split: bool) -> _Written:
        params = {
            "job": self.job.pk,
            "now": now,
            "stage": self.stage_id,
            "actor": self.actor_id,
            "source": Source.CSV.value,
            "kind": LeadActivity.Kind.IMPORTED.value,
        }
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.lead_import_rows")
            cursor.execute(_STAGING_DDL)
            with cursor.cursor.copy(
                f"COPY lead_import_rows ({', '.join(STAGING_COLUMNS)}) FROM STDIN"
            ) as copy:
                copy.write(b"\n".join(lines) + b"\n")
            # Row counts for the planner, which otherwise guesses a few dozen rows and joins
            # the chunk to itself row by row (only the join columns: a few milliseconds).
            cursor.execute("ANALYZE lead_import_rows (row_no, root_no)")
            if split:
                cursor.execute(_ORPHANS_TO_ROOTS)
            if self.phones_index:
                # GIN keeps fresh entries in an unsorted pending list that every search scans
                # whole; matching a chunk's 10,000 phones against it takes seconds, against the
                # index itself milliseconds. Merging it now costs what autovacuum would later.
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [self.phones_index])
            # Index probes, whatever the statistics say (see _MATCH_EXISTING).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(_MATCH_EXISTING)
            cursor.execute("SET LOCAL enable_seqscan = on")
            self._absorb_into_existing(cursor, now)
            cursor.execute(self.insert, params)
            cursor.execute(
                "SELECT count(*) FILTER (WHERE row_no = root_no AND NOT matched), count(*) "
                "FROM lead_import_rows"
            )
            created, total = cursor.fetchone()
        return _Written(created=created, updated=total - created)

    def _absorb_into_existing(self, cursor, now: datetime) -> None:
        columns = _CHANGED_NAMES
        # Column names come from the field spec (leads.fields), never from the file.
        cursor.execute(
            f"SELECT lead_id, {', '.join(columns)} FROM lead_import_rows "  # noqa: S608
            "WHERE matched AND row_no = root_no ORDER BY row_no"
        )
        incoming: dict[int, list[dict]] = {}
        for row in cursor.fetchall():
            incoming.setdefault(row[0], []).append(dict(zip(columns, row[1:], strict=True)))
        if not incoming:
            return
        cursor.execute(
            f"SELECT id, {', '.join(columns)} FROM leads_lead WHERE id = ANY(%s) "  # noqa: S608
            "ORDER BY id FOR UPDATE",
            [list(incoming)],
        )
        changed: list[tuple[int, dict]] = []
        for row in cursor.fetchall():
            lead = dict(zip(columns, row[1:], strict=True))
            lead["phones"] = list(lead["phones"] or [])
            lead["communities"] = list(lead["communities"] or [])
            touched = False
            for values in incoming[row[0]]:
                values["phones"] = list(values["phones"] or [])
                values["communities"] = list(values["communities"] or [])
                touched |= lead_values_absorb(lead, values)
            if touched:
                lead_values_derive(lead)
                changed.append((row[0], lead))
        if not changed:
            return
        cursor.execute("DROP TABLE IF EXISTS pg_temp.lead_import_changes")
        cursor.execute(_CHANGES_DDL)
        change_columns = ("id", *columns, "phone_digits", "search_grams")
        lines = [
            "\t".join([str(lead_id), *(copy_value(lead[name]) for name in change_columns[1:])])
            for lead_id, lead in changed
        ]
        with cursor.cursor.copy(
            f"COPY lead_import_changes ({', '.join(change_columns)}) FROM STDIN"
        ) as copy:
            copy.write(("\n".join(lines) + "\n").encode())
        cursor.execute("ANALYZE lead_import_changes (id)")
        assignments = ", ".join(f"{c} = c.{c}" for c in change_columns[1:])
        cursor.execute(
            f"UPDATE leads_lead l SET {assignments}, updated_at = %s "  # noqa: S608
            "FROM lead_import_changes c WHERE l.id = c.id",
            [now],
        )


# --- SQL --------------------------------------------------------------------------------------


def _columns_ddl(names: tuple[str, ...]) -> str:
    """Staged fields as columns of a temporary table (their types from the field spec)."""
    return ",\n".join(f"    {name} {staged_sql_type(FIELDS_BY_NAME[name])}" for name in names)


# The staging table: STAGING_COLUMNS, then what matching adds.
_STAGING_DDL = f"""
CREATE TEMP TABLE lead_import_rows (
    row_no integer PRIMARY KEY,
    root_no integer NOT NULL,
{_columns_ddl(STAGED_NAMES)},
    message text,
    original_source text,
    lead_id bigint,
    matched boolean NOT NULL DEFAULT false
) ON COMMIT DROP
"""

# What a chunk may change in a lead it matched (see `_absorb_into_existing`).
_CHANGED_NAMES = ("phones", "communities", *FILLED_WHEN_EMPTY, *FILLED_WHEN_UNSET)
_CHANGES_DDL = f"""
CREATE TEMP TABLE lead_import_changes (
    id bigint PRIMARY KEY,
{_columns_ddl((*_CHANGED_NAMES, "phone_digits", "search_grams"))}
) ON COMMIT DROP
"""


# A repeat whose first row fell in the other half of a split chunk stands on its own; it
# still joins that person's lead, which the first half has written by then.
_ORPHANS_TO_ROOTS = """
UPDATE lead_import_rows s SET root_no = s.row_no
WHERE s.root_no <> s.row_no
  AND NOT EXISTS (SELECT 1 FROM lead_import_rows r WHERE r.row_no = s.root_no)
"""

# The oldest lead sharing a phone or the email, as lead_find_existing picks it: one probe of
# the phones GIN index or the lower(email) index per key, however many leads the agency has.
# OFFSET 0 keeps each probe a subquery of its own (left to itself the planner may join the
# chunk to every lead when its statistics are stale, as they are while an import grows the
# table); merged leads are dropped after the probe so no other index is tempting. (A single
# `phones && <the chunk's 10,000 phones>` probe is far slower on GIN.)
_MATCH_EXISTING = """
WITH matches AS (
    SELECT s.row_no, m.id, m.created_at
    FROM lead_import_rows s
    CROSS JOIN LATERAL unnest(s.phones) AS p(phone)
    CROSS JOIN LATERAL (
        SELECT l.id, l.created_at, l.merged_into_id FROM leads_lead l
        WHERE l.phones @> ARRAY[p.phone]::varchar[] OFFSET 0
    ) m
    WHERE s.row_no = s.root_no AND m.merged_into_id IS NULL
    UNION ALL
    SELECT s.row_no, m.id, m.created_at
    FROM lead_import_rows s
    CROSS JOIN LATERAL (
        SELECT l.id, l.created_at, l.merged_into_id FROM leads_lead l
        WHERE lower(l.email) = s.email OFFSET 0
    ) m
    WHERE s.row_no = s.root_no AND s.email <> '' AND m.merged_into_id IS NULL
),
oldest AS (
    SELECT DISTINCT ON (row_no) row_no, id FROM matches ORDER BY row_no, created_at, id
)
UPDATE lead_import_rows s SET lead_id = o.id, matched = true
FROM oldest o WHERE s.row_no = o.row_no
"""

# New leads and every row's timeline entry in one statement: the ids the INSERT hands out
# come back through RETURNING with the row each lead was made from (it is in source_details).
_INSERT_LEADS_AND_ACTIVITIES = """
WITH inserted AS (
    {leads}
    RETURNING id, (source_details ->> 'row')::integer AS row_no
)
{activities}
"""

# Column → SQL for the rows of a chunk; any other column of the model (one added later)
# gets its default, so a new field never breaks imports.
_LEAD_COLUMNS = {
    **{field.name: f"s.{field.name}" for field in STAGED},
    "source": "%(source)s",
    "source_details": (
        "jsonb_build_object('import_job', %(job)s::integer, 'row', s.row_no)"
        " || CASE WHEN s.original_source <> ''"
        " THEN jsonb_build_object('original_source', s.original_source) ELSE '{}'::jsonb END"
    ),
    "stage_id": "%(stage)s",
    "created_at": "%(now)s",
    "updated_at": "%(now)s",
    "__from__": ("FROM lead_import_rows s WHERE s.row_no = s.root_no AND NOT s.matched"),
}
_ACTIVITY_COLUMNS = {
    "lead_id": "coalesce(i.id, r.lead_id)",
    "kind": "%(kind)s",
    "actor_id": "%(actor)s",
    "data": (
        "jsonb_build_object('source', %(source)s::text, 'import_job', %(job)s::integer,"
        " 'row', s.row_no, 'matched', r.matched OR s.row_no <> s.root_no,"
        " 'message', coalesce(s.message, ''))"
        " || CASE WHEN s.original_source <> ''"
        " THEN jsonb_build_object('original_source', s.original_source) ELSE '{}'::jsonb END"
    ),
    "created_at": "%(now)s",
    "__from__": (
        "FROM lead_import_rows s JOIN lead_import_rows r ON r.row_no = s.root_no"
        " LEFT JOIN inserted i ON i.row_no = r.row_no ORDER BY s.row_no"
    ),
}


def _insert_sql(model, columns: dict[str, str]) -> str:
    names: list[str] = []
    expressions: list[str] = []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in columns:
            names.append(column)
            expressions.append(columns[column])
        elif field.primary_key:
            continue
        else:
            names.append(column)
            expressions.append(_literal_default(field))
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(expressions)} {columns['__from__']}"
    )


def _literal_default(field) -> str:
    """A field's default as SQL (for columns the import does not set)."""
    value = field.get_default()
    if value is None:
        return "NULL"
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return "true" if value else "false"
    if internal in ("JSONField",):
        import json

        return "'" + json.dumps(value).replace("'", "''").replace("%", "%%") + "'::jsonb"
    if internal == "ArrayField" or isinstance(value, list):
        if value:
            raise ValueError(f"import: no SQL default for {field.name}")
        return "'{}'"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise ValueError(f"import: no SQL default for {field.name}")

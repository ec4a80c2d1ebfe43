"""What an import job says about itself: its file's format, its row plan, the codes a run
leaves in `ImportJob.error`, and whether a worker holds it (a session-wide advisory lock,
held across chunks)."""

from __future__ import annotations

from django.db import connection

from leads.importer.parsing import FileFormat
from leads.importer.rows import RowPlan
from leads.models import ImportJob

ALREADY_IMPORTED = "already_imported"


FAILED_UNREADABLE = "unreadable"


FAILED_INTERNAL = "internal"


def import_job_format(job: ImportJob) -> FileFormat:
    return FileFormat(
        kind=job.mapping.get("kind", "csv"), encoding=job.encoding, delimiter=job.delimiter
    )


def import_job_plan(job: ImportJob, columns: list[str] | None = None) -> RowPlan:
    agency = connection.tenant
    return RowPlan.build(
        headers=list(job.mapping.get("headers", [])),
        mapping=list(columns if columns is not None else job.mapping.get("columns", [])),
        region=getattr(agency, "country", "") or "AE",
        currency=getattr(agency, "currency", "") or "AED",
    )


def lock_key(name: str) -> str:
    return f"{connection.schema_name}:{name}"


def job_lock_try(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", [lock_key(f"leads:import-job:{job_id}")]
        )
        return bool(cursor.fetchone()[0])


def job_lock_release(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(hashtext(%s))", [lock_key(f"leads:import-job:{job_id}")]
        )


def import_job_is_running(job: ImportJob) -> bool:
    """True while some worker holds the job (its lock is session-wide, across chunks)."""
    if not job_lock_try(job.pk):
        return True
    job_lock_release(job.pk)
    return False

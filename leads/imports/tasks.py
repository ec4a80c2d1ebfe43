from __future__ import annotations

from celery import shared_task

from core.tasks import tenant_task


@shared_task(acks_late=True)
@tenant_task
def lead_import_run(job_id: int) -> None:
    """Run one import. Takes the job id only; safe to deliver twice (see import_job_run)."""
    from leads.imports.services import import_job_run

    import_job_run(job_id=job_id)

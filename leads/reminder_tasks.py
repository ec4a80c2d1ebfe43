"""Task reminders: a beat job on the platform fans out to every active agency, and each
agency's sweep emails the reminders that are due. Registered through `leads.tasks`."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django_tenants.utils import schema_context

from aqari.tasks import tenant_task

logger = logging.getLogger(__name__)

# Spread the agencies' sweeps over part of the minute so they don't all hit at once.
FAN_OUT_JITTER_SECONDS = 20


@shared_task
def task_reminders_dispatch() -> int:
    """Public (beat, every minute): queue one reminder sweep in each active agency's schema.
    tenant-schemas-celery sends the schema of the connection the task is queued from."""
    from tenants.models import Agency
    from tenants.selectors import agencies

    count = 0
    for schema_name in (
        agencies().filter(status=Agency.Status.ACTIVE).values_list("schema_name", flat=True)
    ):
        with schema_context(schema_name):
            task_reminders_sweep.apply_async(
                countdown=random.uniform(0, FAN_OUT_JITTER_SECONDS),  # noqa: S311
                expires=55,
            )
        count += 1
    return count


@shared_task
@tenant_task
def task_reminders_sweep() -> int:
    """In one agency: queue an email for each reminder that is due."""
    from leads.services.pipeline import tasks_due_for_reminder

    task_ids = tasks_due_for_reminder()
    for task_id in task_ids:
        task_reminder_email.delay(task_id)
    if task_ids:
        logger.info("task reminders queued", extra={"count": len(task_ids)})
    return len(task_ids)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
@tenant_task
def task_reminder_email(self, task_id: int) -> None:
    from leads.services.pipeline import task_reminder_send

    try:
        task_reminder_send(task_id=task_id)
    except Exception as error:
        logger.warning("task reminder email failed", extra={"task_id": task_id})
        raise self.retry(exc=error) from error

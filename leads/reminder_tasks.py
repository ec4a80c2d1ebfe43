"""Task reminders: beat fans out to every active agency (core.tasks.fan_out), and each
agency's sweep emails the reminders that are due. Registered through `leads.tasks`."""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import tenant_task

logger = logging.getLogger(__name__)


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

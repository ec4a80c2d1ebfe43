"""Task reminders: beat fans out to every active agency (core.tasks.fan_out), and each
agency's sweep emails the reminders that are due. Registered through `leads.tasks`."""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import tenant_task

logger = logging.getLogger(__name__)


@shared_task
@tenant_task
def follow_up_reminders_sweep() -> int:
    """In one agency: queue an email for each reminder that is due."""
    from leads.services.pipeline import follow_ups_due_for_reminder

    follow_up_ids = follow_ups_due_for_reminder()
    for follow_up_id in follow_up_ids:
        follow_up_reminder_email.delay(follow_up_id)
    if follow_up_ids:
        logger.info("follow-up reminders queued", extra={"count": len(follow_up_ids)})
    return len(follow_up_ids)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
@tenant_task
def follow_up_reminder_email(self, follow_up_id: int) -> None:
    from leads.services.pipeline import follow_up_reminder_send

    try:
        follow_up_reminder_send(follow_up_id=follow_up_id)
    except Exception as error:
        logger.warning("follow-up reminder email failed", extra={"follow_up_id": follow_up_id})
        raise self.retry(exc=error) from error

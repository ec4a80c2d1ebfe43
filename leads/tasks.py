"""Every Celery task of leads, in one module that `aqari/celery.py` autodiscovers.

Tasks take ids, re-fetch, and do only what is still missing, so a task delivered twice does
nothing more. Beat jobs that run in every agency (the follow-up reminders and the lost-work
sweep) are scheduled as `core.tasks.fan_out` with the task's name (aqari/settings.py).

Emails are not tasks of their own: services and sweeps queue `core.tasks.email_send` for the
kinds leads/emails.py registers. A service that queues one of these tasks names it
(`current_app.tasks[...]`) instead of importing this module, because these tasks call it.
"""

from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import email_queue, requeue_hold, tenant_task
from leads.selectors.lost_work import assignment_notices_unsent, imports_lost
from leads.services.assignment import ASSIGNMENT_EMAIL
from leads.services.follow_ups import FOLLOW_UP_REMINDER_EMAIL, follow_ups_due_for_reminder
from leads.services.imports import import_job_run
from leads.services.meta import META_MAX_ATTEMPTS, meta_event_process
from tenants.inbound import webhook_event_hold
from tenants.models import WebhookEvent

logger = logging.getLogger(__name__)

META_RETRY_BASE_SECONDS = 30

# --- follow-up reminders ----------------------------------------------------------------------


@shared_task
@tenant_task
def follow_up_reminders_sweep() -> int:
    """In one agency: queue an email for each reminder that is due."""
    queued = 0
    for follow_up_id in follow_ups_due_for_reminder():
        # Every minute: an email still on its way is not queued again for a while.
        if requeue_hold("reminder", follow_up_id, seconds=5 * 60):
            email_queue(kind=FOLLOW_UP_REMINDER_EMAIL, object_id=follow_up_id)
            queued += 1
    if queued:
        logger.info("follow-up reminders queued", extra={"count": queued})
    return queued


# --- Meta lead ads ----------------------------------------------------------------------------


@shared_task(bind=True, max_retries=META_MAX_ATTEMPTS)
@tenant_task
def meta_lead_process(self, event_id: int) -> str:
    """Registered with tenants.inbound by name (leads/apps.py)."""
    outcome = meta_event_process(event_id=event_id)
    if outcome.status == "retry":
        countdown = META_RETRY_BASE_SECONDS * 2 ** (outcome.attempts - 1)
        event = WebhookEvent.objects.get(pk=event_id)
        webhook_event_hold(event=event, seconds=countdown + 60)
        raise self.retry(countdown=countdown)
    return outcome.status


# --- imports ----------------------------------------------------------------------------------


@shared_task(acks_late=True)
@tenant_task
def lead_import_run(job_id: int) -> None:
    """Run one import. Takes the job id only; safe to deliver twice (see import_job_run)."""
    import_job_run(job_id=job_id)


# --- lost work --------------------------------------------------------------------------------


@shared_task
@tenant_task
def lost_work_sweep() -> dict:
    """Queue again the work whose message was lost (leads.selectors.lost_work says which)."""
    requeued = {"imports": 0, "notices": 0}
    for job_id in imports_lost():
        if requeue_hold("import", job_id):
            lead_import_run.delay(job_id)
            requeued["imports"] += 1
    for activity_id in assignment_notices_unsent():
        if requeue_hold("notice", activity_id):
            email_queue(kind=ASSIGNMENT_EMAIL, object_id=activity_id)
            requeued["notices"] += 1
    if any(requeued.values()):
        logger.info("lost work queued again", extra=requeued)
    return requeued

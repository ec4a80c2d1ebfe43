"""Every Celery task of leads, in one module that `aqari/celery.py` autodiscovers.

Tasks take ids, re-fetch, and do only what is still missing, so a task delivered twice does
nothing more. Beat jobs that run in every agency (the follow-up reminders and the lost-work
sweep) are scheduled as `core.tasks.fan_out` with the task's name (aqari/settings.py).

Services that queue one of these tasks name it (`current_app.tasks[...]`) instead of importing
this module, because these tasks call those services.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Membership, User
from accounts.services import INVITATION_EMAIL
from core.tasks import email_queue, tenant_task
from leads.models import LeadActivity
from leads.selectors.lost_work import assignment_notices_unsent, imports_lost, invitations_unsent
from leads.services.follow_ups import follow_up_reminder_send, follow_ups_due_for_reminder
from leads.services.imports import import_job_run
from leads.services.meta import META_MAX_ATTEMPTS, meta_event_process
from tenants.inbound import webhook_event_hold
from tenants.models import WebhookEvent
from tenants.selectors import agency_url

logger = logging.getLogger(__name__)

# A lost-work copy is queued at most once per this long (the cache key is per agency).
HOLD_SECONDS = 10 * 60
META_RETRY_BASE_SECONDS = 30


# --- assignment -------------------------------------------------------------------------------


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
@tenant_task
def lead_assignment_notify(self, activity_id: int) -> None:
    """Email the person a lead was assigned to. The activity row remembers that it was sent,
    so a retried or duplicated task sends once."""
    from django.core.mail import send_mail

    with transaction.atomic():
        activity = (
            LeadActivity.objects.select_for_update()
            .select_related("lead")
            .filter(pk=activity_id, kind=LeadActivity.Kind.ASSIGNED)
            .first()
        )
        if activity is None or activity.data.get("notified_at") or activity.data.get("notice"):
            return
        lead = activity.lead
        assignee_id = activity.data.get("assignee_id")
        # Reassigned again before we got here: the newer assignment sends its own email.
        if assignee_id is None or lead.assignee_id != assignee_id:
            return
        membership = Membership.objects.filter(pk=assignee_id, is_active=True).first()
        user = User.objects.filter(pk=membership.user_id).first() if membership else None
        if user is None or not user.is_active:
            # No one to write to: say so, so the lost-work sweep does not try again.
            activity.data = {**activity.data, "notice": "no_recipient"}
            activity.save(update_fields=["data"])
            return
        agency = connection.tenant
        context = {
            "agency": agency,
            "lead": lead,
            "link": agency_url(agency, f"/leads/{lead.pk}/"),
            "target_minutes": (
                agency.first_response_target_minutes if lead.first_response_at is None else None
            ),
        }
        with translation.override(user.language or agency.default_language):
            # A subject is one header line, whatever a lead's name holds.
            subject = " ".join(
                render_to_string("leads/assignment/email_assigned_subject.txt", context).split()
            )
            body = render_to_string("leads/assignment/email_assigned_message.txt", context)
        try:
            send_mail(subject, body, None, [user.email])
        except Exception as error:
            logger.warning("assignment email failed", extra={"activity_id": activity_id})
            raise self.retry(exc=error) from error
        activity.data = {**activity.data, "notified_at": timezone.now().isoformat()}
        activity.save(update_fields=["data"])


# --- follow-up reminders ----------------------------------------------------------------------


@shared_task
@tenant_task
def follow_up_reminders_sweep() -> int:
    """In one agency: queue an email for each reminder that is due."""
    follow_up_ids = follow_ups_due_for_reminder()
    for follow_up_id in follow_up_ids:
        follow_up_reminder_email.delay(follow_up_id)
    if follow_up_ids:
        logger.info("follow-up reminders queued", extra={"count": len(follow_up_ids)})
    return len(follow_up_ids)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
@tenant_task
def follow_up_reminder_email(self, follow_up_id: int) -> None:
    try:
        follow_up_reminder_send(follow_up_id=follow_up_id)
    except Exception as error:
        logger.warning("follow-up reminder email failed", extra={"follow_up_id": follow_up_id})
        raise self.retry(exc=error) from error


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


def _first_time_in_a_while(kind: str, pk: int) -> bool:
    """True once per hold: the cache key is per agency (django-tenants' key function)."""
    return cache.add(f"lost-work:{kind}:{pk}", 1, timeout=HOLD_SECONDS)


@shared_task
@tenant_task
def lost_work_sweep() -> dict:
    """Queue again the work whose message was lost (leads.selectors.lost_work says which)."""
    requeued = {"imports": 0, "notices": 0, "invitations": 0}
    for job_id in imports_lost():
        if _first_time_in_a_while("import", job_id):
            lead_import_run.delay(job_id)
            requeued["imports"] += 1
    for activity_id in assignment_notices_unsent():
        if _first_time_in_a_while("notice", activity_id):
            lead_assignment_notify.delay(activity_id)
            requeued["notices"] += 1
    for invitation_id in invitations_unsent():
        if _first_time_in_a_while("invitation", invitation_id):
            email_queue(kind=INVITATION_EMAIL, object_id=invitation_id)
            requeued["invitations"] += 1
    if any(requeued.values()):
        logger.info("lost work queued again", extra=requeued)
    return requeued

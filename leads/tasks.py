"""Background work for leads. Tasks take ids, re-fetch, and do only what is still missing."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Membership, User
from core.tasks import tenant_task
from leads.models import LeadActivity
from tenants.selectors import agency_url

logger = logging.getLogger(__name__)


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


# Task reminders and the lost-work sweep live in their own modules; importing them here
# registers them with Celery.
from leads.reminder_tasks import (  # noqa: E402, F401
    follow_up_reminder_email,
    follow_up_reminders_sweep,
)
from leads.sweep_tasks import lost_work_sweep  # noqa: E402, F401

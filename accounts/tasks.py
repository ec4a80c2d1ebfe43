"""Background work for accounts."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.selectors import invitations_unsent
from accounts.services import INVITATION_EMAIL
from core.tasks import email_queue, requeue_hold, tenant_task

logger = logging.getLogger(__name__)


@shared_task
@tenant_task
def invitation_emails_sweep() -> int:
    """In one agency (beat fans out, every two minutes): invitations whose email was lost (a
    Redis restart, a crash between commit and publish) are sent, once."""
    queued = 0
    for invitation_id in invitations_unsent():
        if requeue_hold("invitation", invitation_id):
            email_queue(kind=INVITATION_EMAIL, object_id=invitation_id)
            queued += 1
    if queued:
        logger.info("invitation emails queued again", extra={"count": queued})
    return queued

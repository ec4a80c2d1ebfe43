from __future__ import annotations

import logging

from celery import shared_task

from core.tasks import tenant_task
from leads.capture import services
from tenants.inbound import webhook_event_hold
from tenants.models import WebhookEvent

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30


@shared_task(bind=True, max_retries=services.META_MAX_ATTEMPTS)
@tenant_task
def meta_lead_process(self, event_id: int) -> str:
    outcome = services.meta_event_process(event_id=event_id)
    if outcome.status == "retry":
        countdown = RETRY_BASE_SECONDS * 2 ** (outcome.attempts - 1)
        event = WebhookEvent.objects.get(pk=event_id)
        webhook_event_hold(event=event, seconds=countdown + 60)
        raise self.retry(countdown=countdown)
    return outcome.status

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django_tenants.utils import schema_context

from aqari.tasks import tenant_task
from leads.capture import services
from leads.capture.selectors import webhook_events_due
from tenants.models import WebhookEvent

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
SWEEP_AFTER = timedelta(minutes=2)
# A re-queued event is left alone this long before the sweeper queues it again.
SWEEP_HOLD_SECONDS = 5 * 60


@shared_task(bind=True, max_retries=services.META_MAX_ATTEMPTS)
@tenant_task
def meta_lead_process(self, event_id: int) -> str:
    outcome = services.meta_event_process(event_id=event_id)
    if outcome.status == "retry":
        countdown = RETRY_BASE_SECONDS * 2 ** (outcome.attempts - 1)
        event = WebhookEvent.objects.get(pk=event_id)
        services.webhook_event_hold(event=event, seconds=countdown + 60)
        raise self.retry(countdown=countdown)
    return outcome.status


@shared_task
def webhook_events_sweep() -> int:
    """Beat, every minute, in the public schema: re-queue webhook events still RECEIVED two
    minutes after they arrived, each in its agency's schema. The broker may lose a message; the
    stored event is the record of work to do."""
    queued = 0
    for event in webhook_events_due(provider=services.META_PROVIDER, older_than=SWEEP_AFTER):
        if services.webhook_event_is_held(event=event):
            continue
        services.webhook_event_hold(event=event, seconds=SWEEP_HOLD_SECONDS)
        with schema_context(event.agency.schema_name):
            meta_lead_process.delay(event.pk)
        queued += 1
    if queued:
        logger.info("webhook events re-queued", extra={"count": queued})
    return queued

"""Inbound webhook events: stored before they are processed, queued in their agency's schema.

A webhook view stores the verified delivery as a `WebhookEvent` (unique on the provider's id),
answers at once and queues processing on commit. Which task processes a provider's events is
registered here by the app that owns that provider (`inbound_processor_register`, from its
AppConfig.ready), so this module (and the sweeper and the admin's retry) never imports the
apps above it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Agency, WebhookEvent

logger = logging.getLogger(__name__)

META = "meta"
# Younger events are most likely still in the queue, not lost.
SWEEP_AFTER = timedelta(minutes=2)
# A re-queued event is left alone this long before the sweeper queues it again.
SWEEP_HOLD_SECONDS = 5 * 60
HOLD_KEY = "aqari:webhook:hold:{database}:{event_id}"

_processors: dict[str, str] = {}


def inbound_processor_register(*, provider: str, task_name: str) -> None:
    """The Celery task (by name) that processes this provider's events; it takes the event id
    and runs in the agency's schema."""
    _processors[provider] = task_name


def inbound_providers() -> list[str]:
    return sorted(_processors)


def webhook_event_queue(*, event_id: int) -> bool:
    """Queue processing in the owning agency's schema; tenant-schemas-celery sends the schema
    of the connection at publish time, and a webhook arrives on the platform host. False when
    there is nothing to queue (no event, no agency, no processor)."""
    event = WebhookEvent.objects.select_related("agency").filter(pk=event_id).first()
    if event is None or event.agency is None or event.provider not in _processors:
        return False
    with schema_context(event.agency.schema_name):
        current_app.tasks[_processors[event.provider]].delay(event.pk)
    return True


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _hold_key(event: WebhookEvent) -> str:
    # Event ids restart in every database (each test run has its own) while Redis is shared.
    return HOLD_KEY.format(database=connection.settings_dict["NAME"], event_id=event.pk)


def webhook_event_hold(*, event: WebhookEvent, seconds: int) -> None:
    """Tell the sweeper a task for this event is already on its way (a retry with a countdown,
    or one it just queued), so it does not pile up copies. The hold expires on its own, so a
    lost message is still found."""
    _redis().set(_hold_key(event), "1", ex=max(int(seconds), 1))


def webhook_event_is_held(*, event: WebhookEvent) -> bool:
    return bool(_redis().exists(_hold_key(event)))


def webhook_events_due(
    *, providers: list[str], older_than: timedelta, limit: int = 500
) -> QuerySet[WebhookEvent]:
    """Events still waiting well after they arrived: their task was lost or never published."""
    return (
        WebhookEvent.objects.filter(
            provider__in=providers,
            status=WebhookEvent.Status.RECEIVED,
            received_at__lt=timezone.now() - older_than,
            agency__isnull=False,
        )
        .exclude(agency__status=Agency.Status.TERMINATED)
        .select_related("agency")
        .order_by("received_at")[:limit]
    )


def webhook_events_requeue_lost() -> int:
    """Re-queue events still RECEIVED a while after they arrived, each in its agency's schema.
    The broker may lose a message; the stored event is the record of work to do."""
    queued = 0
    for event in webhook_events_due(providers=inbound_providers(), older_than=SWEEP_AFTER):
        if webhook_event_is_held(event=event):
            continue
        webhook_event_hold(event=event, seconds=SWEEP_HOLD_SECONDS)
        if webhook_event_queue(event_id=event.pk):
            queued += 1
    if queued:
        logger.info("webhook events re-queued", extra={"count": queued})
    return queued

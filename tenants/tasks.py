from __future__ import annotations

from celery import shared_task

from tenants.inbound import webhook_events_requeue_lost


@shared_task
def webhook_events_sweep() -> int:
    """Beat, every minute, in the public schema: webhook events whose queued task was lost."""
    return webhook_events_requeue_lost()

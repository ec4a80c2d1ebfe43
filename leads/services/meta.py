"""Writes for Meta lead ads: the webhook stores each lead-ad delivery, and processing fetches
the lead from the Graph API and captures it with `lead_capture`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from leads.inquiries.meta import meta_inquiry_from_graph_lead, meta_leadgen_changes
from leads.providers.meta import MetaGraphError, get_meta_provider
from leads.services.intake import lead_capture
from tenants.inbound import META, webhook_event_queue
from tenants.models import Agency, ProviderRoute, WebhookEvent

logger = logging.getLogger(__name__)

META_PROVIDER = META


META_MAX_ATTEMPTS = 5


@transaction.atomic
def meta_webhook_receive(*, payload: Any) -> list[WebhookEvent]:
    """Store each leadgen change of a verified delivery, once per leadgen id, and queue the new
    ones on commit in the schema of the agency that owns the page. Returns the new events."""
    queued: list[WebhookEvent] = []
    for change in meta_leadgen_changes(payload):
        route = (
            ProviderRoute.objects.filter(kind=ProviderRoute.Kind.META_PAGE, address=change.page_id)
            .select_related("agency")
            .first()
        )
        agency = route.agency if route is not None else None
        status, result = WebhookEvent.Status.RECEIVED, {}
        if agency is None:
            status = WebhookEvent.Status.IGNORED
            result = {"reason": "No agency has connected this Meta page."}
        elif agency.status == Agency.Status.TERMINATED:
            status = WebhookEvent.Status.IGNORED
            result = {"reason": "The agency that connected this page has closed its account."}
        event, created = WebhookEvent.objects.get_or_create(
            provider=META_PROVIDER,
            external_id=change.leadgen_id,
            defaults={
                "agency": agency,
                "payload": {**change.value, "page_id": change.page_id},
                "status": status,
                "result": result,
            },
        )
        if not created:
            logger.info("meta leadgen replayed", extra={"webhook_event_id": event.pk})
            continue
        logger.info(
            "meta leadgen received",
            extra={"webhook_event_id": event.pk, "status": status, "page_id": change.page_id},
        )
        if status == WebhookEvent.Status.RECEIVED:
            transaction.on_commit(partial(webhook_event_queue, event_id=event.pk))
            queued.append(event)
    return queued


@dataclass(frozen=True)
class MetaOutcome:
    status: str  # "processed", "skipped", "retry" or "failed"
    attempts: int = 0
    lead_id: int | None = None


def meta_event_process(*, event_id: int) -> MetaOutcome:
    """Fetch the lead's answers from the Graph API and capture them in this agency. Safe to run
    any number of times: only a RECEIVED event does anything.

    The Graph call happens before the row is locked, so no transaction stays open across the
    network; a second run at the same moment at worst reads the lead twice, and the lock below
    lets only one of them capture it."""
    # By schema, not `connection.tenant`: under schema_context that is a stand-in without a row.
    agency = Agency.objects.get(schema_name=connection.schema_name)
    event = WebhookEvent.objects.filter(pk=event_id, provider=META_PROVIDER).first()
    if event is None or event.status != WebhookEvent.Status.RECEIVED:
        return MetaOutcome(status="skipped")
    if event.agency_id != agency.pk:
        logger.warning(
            "meta event run in another agency's schema", extra={"webhook_event_id": event_id}
        )
        return MetaOutcome(status="skipped")
    try:
        graph_lead = get_meta_provider().lead(event.external_id)
    except MetaGraphError as error:
        return _meta_event_attempt_failed(event_id=event_id, message=str(error))
    inquiry = meta_inquiry_from_graph_lead(
        graph_lead,
        page_id=str(event.payload.get("page_id", "")),
        default_currency=agency.currency,
    )
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.status != WebhookEvent.Status.RECEIVED:
            return MetaOutcome(status="skipped")
        event.attempts += 1
        try:
            result = lead_capture(inquiry=inquiry, region=agency.country)
        except ValidationError as error:
            # Meta's answers will not change on a retry; keep the event for a person to look at.
            event.status = WebhookEvent.Status.FAILED
            event.last_error = _validation_summary(error)
            event.save(update_fields=["status", "attempts", "last_error"])
            logger.warning("meta lead not usable", extra={"webhook_event_id": event_id})
            return MetaOutcome(status="failed", attempts=event.attempts)
        event.status = WebhookEvent.Status.PROCESSED
        event.processed_at = timezone.now()
        event.last_error = ""
        event.result = {"lead_id": result.lead.pk, "lead_created": result.created}
        event.save(update_fields=["status", "attempts", "processed_at", "last_error", "result"])
    logger.info(
        "meta lead captured",
        extra={
            "webhook_event_id": event_id,
            "lead_id": result.lead.pk,
            "lead_created": result.created,
        },
    )
    return MetaOutcome(status="processed", attempts=event.attempts, lead_id=result.lead.pk)


def _validation_summary(error: ValidationError) -> str:
    """Which fields were wrong, never their values (the messages quote the person's input)."""
    if hasattr(error, "error_dict"):
        return ("The lead's answers were not usable: " + ", ".join(sorted(error.error_dict)))[:500]
    return "The lead could not be captured: " + " ".join(error.messages)[:400]


@transaction.atomic
def _meta_event_attempt_failed(*, event_id: int, message: str) -> MetaOutcome:
    event = WebhookEvent.objects.select_for_update().get(pk=event_id)
    if event.status != WebhookEvent.Status.RECEIVED:
        return MetaOutcome(status="skipped", attempts=event.attempts)
    event.attempts += 1
    event.last_error = message[:500]
    if event.attempts >= META_MAX_ATTEMPTS:
        event.status = WebhookEvent.Status.FAILED
    event.save(update_fields=["status", "attempts", "last_error"])
    logger.warning(
        "meta graph fetch failed",
        extra={"webhook_event_id": event_id, "attempts": event.attempts},
    )
    status = "failed" if event.status == WebhookEvent.Status.FAILED else "retry"
    return MetaOutcome(status=status, attempts=event.attempts)

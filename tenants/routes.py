"""Provider routes (which agency a Meta page, Twilio number or WhatsApp sender belongs to) and
the webhook events they route, as platform staff manage them from the (English-only) admin."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.phones import phone_normalise
from tenants.inbound import (
    META,
    SWEEP_HOLD_SECONDS,
    inbound_providers,
    webhook_event_hold,
    webhook_event_queue,
)
from tenants.models import Agency, ProviderRoute, WebhookEvent

logger = logging.getLogger(__name__)

META_PAGE_ID_RE = re.compile(r"^\d{1,30}$")
# Twilio writes WhatsApp senders as `whatsapp:+971...`; the route holds the number alone.
WHATSAPP_PREFIX_RE = re.compile(r"^\s*whatsapp:", re.IGNORECASE)
RETRYABLE = (WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED)


def provider_address_normalise(*, kind: str, address: str) -> str:
    """The address as the provider's webhooks name it: a Meta page id in digits, a phone number
    in E.164. Raises ValidationError with a sentence for the person who typed it."""
    text = (address or "").strip()
    if kind == ProviderRoute.Kind.META_PAGE:
        page_id = re.sub(r"\s+", "", text)
        if not META_PAGE_ID_RE.match(page_id):
            raise ValidationError(
                "A Meta page id is digits only, for example 104857600123456. Copy the page's "
                "id, not its name or web address.",
                code="invalid_meta_page",
            )
        return page_id
    if kind in (ProviderRoute.Kind.TWILIO_NUMBER, ProviderRoute.Kind.WHATSAPP_SENDER):
        # No default region: the number may be from any country, so it must say which.
        return phone_normalise(WHATSAPP_PREFIX_RE.sub("", text), region="ZZ")
    raise ValidationError("Choose what kind of address this is.", code="invalid_kind")


@transaction.atomic
def provider_route_save(*, route: ProviderRoute, actor_id: int | None) -> list[int]:
    """Save a route (new or changed) with its address as the provider writes it, then process
    the deliveries that came for a just-linked Meta page before the link. Returns the ids of
    the events so queued."""
    route.address = provider_address_normalise(kind=route.kind, address=route.address)
    route.full_clean()
    route.save()
    logger.info("provider route saved", extra={"route_id": route.pk, "actor_id": actor_id})
    return meta_events_claim(route=route, actor_id=actor_id)


@transaction.atomic
def provider_route_delete(*, route: ProviderRoute, actor_id: int | None) -> None:
    logger.info("provider route deleted", extra={"route_id": route.pk, "actor_id": actor_id})
    route.delete()


def provider_route_find(*, kind: str, address: str) -> ProviderRoute | None:
    return ProviderRoute.objects.filter(kind=kind, address=address).select_related("agency").first()


@dataclass
class WebhookRetry:
    queued: list[int] = field(default_factory=list)
    already_processed: list[int] = field(default_factory=list)
    not_retryable: list[int] = field(default_factory=list)


@transaction.atomic
def webhook_events_retry(*, event_ids: Iterable[int], actor_id: int) -> WebhookRetry:
    """Send failed or stuck events through processing again: back to RECEIVED with a fresh
    count of attempts, queued on commit by the same path a new delivery takes. Processed events
    are left alone, as are ignored ones and those of a closed agency (nothing would process
    them)."""
    outcome = WebhookRetry()
    events = (
        WebhookEvent.objects.select_for_update(of=("self",))
        .filter(pk__in=list(event_ids))
        .select_related("agency")
        .order_by("pk")
    )
    for event in events:
        if event.status == WebhookEvent.Status.PROCESSED:
            outcome.already_processed.append(event.pk)
            continue
        if _unrouted(event):
            # Ignored because no agency had linked the page then: route it as it is now.
            route = provider_route_find(
                kind=ProviderRoute.Kind.META_PAGE, address=str(event.payload.get("page_id", ""))
            )
            if route is not None and route.agency.status != Agency.Status.TERMINATED:
                event.agency, event.status, event.result = (
                    route.agency,
                    WebhookEvent.Status.RECEIVED,
                    {},
                )
                event.save(update_fields=["agency", "status", "result"])
        if (
            event.status not in RETRYABLE
            or event.provider not in inbound_providers()
            or event.agency is None
            or event.agency.status == Agency.Status.TERMINATED
        ):
            outcome.not_retryable.append(event.pk)
            continue
        event.status = WebhookEvent.Status.RECEIVED
        event.attempts = 0
        event.save(update_fields=["status", "attempts"])
        # Keeps the sweeper (the event arrived long ago) from queuing a second copy.
        webhook_event_hold(event=event, seconds=SWEEP_HOLD_SECONDS)
        transaction.on_commit(partial(webhook_event_queue, event_id=event.pk))
        outcome.queued.append(event.pk)
    logger.info(
        "webhook events retried",
        extra={
            "actor_id": actor_id,
            "queued": outcome.queued,
            "already_processed": len(outcome.already_processed),
            "not_retryable": len(outcome.not_retryable),
        },
    )
    return outcome


# Meta keeps a lead ad's answers for 90 days; older deliveries cannot be read any more.
META_LEAD_DAYS = 90


def _unrouted(event: WebhookEvent) -> bool:
    return (
        event.provider == META
        and event.status == WebhookEvent.Status.IGNORED
        and event.agency_id is None
    )


@transaction.atomic
def meta_events_claim(*, route: ProviderRoute, actor_id: int) -> list[int]:
    """When a Meta page is linked to an agency, the lead-ad deliveries that arrived for it
    before (stored, then ignored for want of an agency) are routed to that agency and queued,
    so no lead of the days before the link is lost. Returns the queued event ids."""
    if (
        route.kind != ProviderRoute.Kind.META_PAGE
        or route.agency.status == Agency.Status.TERMINATED
    ):
        return []
    since = timezone.now() - dt.timedelta(days=META_LEAD_DAYS)
    events = list(
        WebhookEvent.objects.select_for_update()
        .filter(
            provider=META,
            status=WebhookEvent.Status.IGNORED,
            agency__isnull=True,
            payload__page_id=route.address,
            received_at__gte=since,
        )
        .order_by("pk")
    )
    for event in events:
        event.agency, event.status, event.result, event.attempts = (
            route.agency,
            WebhookEvent.Status.RECEIVED,
            {},
            0,
        )
        event.save(update_fields=["agency", "status", "result", "attempts"])
        transaction.on_commit(partial(webhook_event_queue, event_id=event.pk))
    if events:
        logger.info(
            "meta events claimed by a new route",
            extra={"actor_id": actor_id, "route_id": route.pk, "queued": [e.pk for e in events]},
        )
    return [event.pk for event in events]

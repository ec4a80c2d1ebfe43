"""Reads for capture."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from leads.models import CaptureForm
from tenants.models import Agency, WebhookEvent


def capture_forms_for_settings() -> QuerySet[CaptureForm]:
    """Active forms first, newest first; revoked ones after, for the record."""
    return CaptureForm.objects.order_by(F("revoked_at").desc(nulls_first=True), "-created_at")


def capture_form_by_token(*, token: str) -> CaptureForm | None:
    """The form in this agency with this token, revoked or not (the caller tells them apart)."""
    if not token or len(token) > 64:
        return None
    return CaptureForm.objects.filter(token=token).first()


def webhook_events_due(
    *, provider: str, older_than: timedelta, limit: int = 500
) -> QuerySet[WebhookEvent]:
    """Events still waiting well after they arrived: their task was lost or never published."""
    return (
        WebhookEvent.objects.filter(
            provider=provider,
            status=WebhookEvent.Status.RECEIVED,
            received_at__lt=timezone.now() - older_than,
            agency__isnull=False,
        )
        .exclude(agency__status=Agency.Status.TERMINATED)
        .select_related("agency")
        .order_by("received_at")[:limit]
    )

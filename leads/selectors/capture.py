"""Reads for capture."""

from __future__ import annotations

from django.db.models import F, QuerySet

from leads.models import CaptureForm


def capture_forms_for_settings() -> QuerySet[CaptureForm]:
    """Active forms first, newest first; revoked ones after, for the record."""
    return CaptureForm.objects.order_by(F("revoked_at").desc(nulls_first=True), "-created_at")


def capture_form_by_token(*, token: str) -> CaptureForm | None:
    """The form in this agency with this token, revoked or not (the caller tells them apart)."""
    if not token or len(token) > 64:
        return None
    return CaptureForm.objects.filter(token=token).first()

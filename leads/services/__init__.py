"""Writes for leads, one module per area; import from `leads.services`."""

from leads.services.capture import (
    CaptureResult,
    Inquiry,
    default_stage,
    inquiry_clean,
    lead_capture,
    lead_find_existing,
    lead_refresh_search,
)
from leads.services.pipeline import follow_up_create, lead_change_stage, lead_merge, lead_note_add

__all__ = [
    "CaptureResult",
    "Inquiry",
    "default_stage",
    "inquiry_clean",
    "lead_capture",
    "lead_find_existing",
    "lead_refresh_search",
    "lead_change_stage",
    "lead_merge",
    "lead_note_add",
    "follow_up_create",
]

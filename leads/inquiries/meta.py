"""Meta lead ads: what the webhook says and how a Graph API lead becomes an inquiry."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from leads.inquiries.fields import inquiry_from_fields
from leads.inquiries.inquiry import Inquiry
from leads.models import Source

SIGNATURE_PREFIX = "sha256="


def meta_signature_valid(*, body: bytes, header: str | None, app_secret: str | None) -> bool:
    """`X-Hub-Signature-256` is `sha256=` + HMAC-SHA256 of the bytes Meta sent. Meta escapes
    non-ASCII (`\\u0645`) before signing, so only the raw body verifies; JSON parsed and
    serialised again would not match for any Arabic name."""
    if not app_secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(SIGNATURE_PREFIX) :].strip().lower())


@dataclass(frozen=True)
class LeadgenChange:
    """One `leadgen` change of a webhook delivery: the ids Meta sends, nothing personal."""

    leadgen_id: str
    page_id: str
    value: dict[str, Any]


def meta_leadgen_changes(payload: Any) -> list[LeadgenChange]:
    """Every `entry[].changes[]` with field `leadgen`; anything else Meta may send to the same
    subscription (other page fields, malformed entries) is skipped."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return []
    changes: list[LeadgenChange] = []
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            continue
        for change in entry["changes"]:
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            leadgen_id = str(value.get("leadgen_id") or "").strip()
            page_id = str(value.get("page_id") or entry.get("id") or "").strip()
            if not leadgen_id.isdigit() or len(leadgen_id) > 30 or not page_id:
                continue
            changes.append(LeadgenChange(leadgen_id=leadgen_id, page_id=page_id, value=value))
    return changes


def meta_inquiry_from_graph_lead(
    graph_lead: dict[str, Any], *, page_id: str, default_currency: str
) -> Inquiry:
    """Map a Graph API lead to an inquiry. Field names are the form's own: standard ones
    (`full_name`, `phone_number`, `email`) and snake-cased custom questions."""
    fields: list[tuple[str, str]] = []
    field_data = graph_lead.get("field_data")
    for item in field_data if isinstance(field_data, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "")
        values = item.get("values")
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                fields.append((name, str(value)))
    details = {
        "form_id": str(graph_lead.get("form_id") or ""),
        "ad_id": str(graph_lead.get("ad_id") or ""),
        "campaign": str(graph_lead.get("campaign_name") or "")[:200],
        "page_id": page_id,
        "leadgen_id": str(graph_lead.get("id") or ""),
    }
    parsed = inquiry_from_fields(
        fields,
        source=Source.META,
        default_currency=default_currency,
        source_details={k: v for k, v in details.items() if v},
    )
    return parsed.inquiry

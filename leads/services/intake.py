"""The intake: every new inquiry goes through `lead_capture`, which keeps one lead per person:
a phone or email already known to the agency adds to that lead's timeline."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from core.phones import phone_digits
from leads.fields import FILLED_WHEN_EMPTY, FILLED_WHEN_UNSET
from leads.inquiries.inquiry import Inquiry, inquiry_clean, inquiry_lead_values
from leads.models import Lead, LeadActivity, PipelineStage
from leads.search import lead_search_grams
from leads.selectors.intake import lead_find_existing
from leads.services.assignment import lead_auto_assign

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureResult:
    lead: Lead
    created: bool


# A CSV import holds this lock exclusively while it writes a chunk of leads in bulk
# (leads.services.imports); captures take it shared, so a live capture waits for that
# chunk (a second or so) instead of missing the leads it is creating.
IMPORT_LOCK = "leads:import"


def identity_lock(keys: list[str]) -> None:
    """Serialise captures of the same person within this agency, so two deliveries at once
    cannot both create a lead (transaction-scoped advisory locks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(hashtext(%s))",
            [f"{connection.schema_name}:{IMPORT_LOCK}"],
        )
        for key in sorted(set(keys)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:{key}"]
            )


def default_stage() -> PipelineStage:
    stage = PipelineStage.objects.filter(is_active=True, kind=PipelineStage.Kind.OPEN).first()
    if stage is None:
        raise ValidationError(_("This agency has no open pipeline stage. Add one in Settings."))
    return stage


def lead_refresh_search(lead: Lead) -> None:
    lead.search_grams = lead_search_grams(
        full_name=lead.full_name, email=lead.email, phone_digits=lead.phone_digits
    )


@transaction.atomic
def lead_capture(
    *, inquiry: Inquiry, actor: Membership | None = None, region: str = "AE"
) -> CaptureResult:
    inquiry = inquiry_clean(inquiry, region=region)
    identity_lock([*inquiry.phones, inquiry.email] if inquiry.email else inquiry.phones)
    existing = lead_find_existing(phones=inquiry.phones, email=inquiry.email)
    if existing is not None:
        _lead_absorb_inquiry(lead=existing, inquiry=inquiry, actor=actor)
        return CaptureResult(lead=existing, created=False)
    lead = Lead(
        **inquiry_lead_values(inquiry),
        phone_digits=" ".join(phone_digits(p) for p in inquiry.phones),
        source=inquiry.source,
        source_details=inquiry.source_details,
        stage=default_stage(),
        assignee=actor if actor is not None and actor.role == "agent" else None,
    )
    lead_refresh_search(lead)
    lead.full_clean()
    lead.save()
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.CREATED,
        actor=actor,
        data={"source": inquiry.source, "message": inquiry.message[:2000]},
    )
    lead_auto_assign(lead=lead)
    logger.info("lead created", extra={"lead_id": lead.pk, "source": inquiry.source})
    return CaptureResult(lead=lead, created=True)


def _lead_absorb_inquiry(*, lead: Lead, inquiry: Inquiry, actor: Membership | None) -> None:
    """A repeat inquiry: fill in what the lead lacked, add new phones, note it on the timeline."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    changed: list[str] = []
    new_phones = [p for p in inquiry.phones if p not in lead.phones]
    if new_phones:
        lead.phones = [*lead.phones, *new_phones]
        lead.phone_digits = " ".join(phone_digits(p) for p in lead.phones)
        changed += ["phones", "phone_digits"]
    for name in FILLED_WHEN_EMPTY:
        if not getattr(lead, name) and getattr(inquiry, name):
            setattr(lead, name, getattr(inquiry, name))
            changed.append(name)
    for name in FILLED_WHEN_UNSET:
        if getattr(lead, name) is None and getattr(inquiry, name) is not None:
            setattr(lead, name, getattr(inquiry, name))
            changed.append(name)
    extra = [c for c in inquiry.communities if c and c not in lead.communities]
    if extra:
        lead.communities = [*lead.communities, *extra]
        changed.append("communities")
    if changed:
        lead_refresh_search(lead)
        lead.save(update_fields=[*changed, "search_grams", "updated_at"])
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.INQUIRY,
        actor=actor,
        data={
            "source": inquiry.source,
            "source_details": inquiry.source_details,
            "message": inquiry.message[:2000],
        },
    )
    logger.info("inquiry added to lead", extra={"lead_id": lead.pk, "source": inquiry.source})

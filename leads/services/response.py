"""The first-response clock. Every outbound contact with a lead, logged by hand today and by
messaging later, goes through `lead_record_contact`: it writes the timeline entry and stops the
clock the first time."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from accounts.roles import can
from leads.models import Lead, LeadActivity

logger = logging.getLogger(__name__)

NOTE_MAX = 2000
REFERENCE_MAX = 200


class ContactChannel(models.TextChoices):
    CALL = "call", gettext_lazy("Call")
    WHATSAPP = "whatsapp", gettext_lazy("WhatsApp")
    EMAIL = "email", gettext_lazy("Email")
    SMS = "sms", gettext_lazy("SMS")


def _surviving(lead: Lead) -> Lead:
    """A contact with a merged-away lead belongs to the lead it was merged into."""
    seen = {lead.pk}
    while lead.merged_into_id is not None and lead.merged_into_id not in seen:
        seen.add(lead.merged_into_id)
        lead = Lead.objects.get(pk=lead.merged_into_id)
    return lead


@transaction.atomic
def lead_record_contact(
    *,
    lead: Lead,
    actor: Membership | None,
    channel: str,
    note: str = "",
    at: datetime | None = None,
    reference: str = "",
) -> LeadActivity:
    """Record one outbound contact (a call, WhatsApp, email or SMS) with a lead.

    - `actor`: who made it; None for the system (for example an automatic reply).
    - `at`: when it happened (default now); a time in the future counts as now.
    - `reference`: the caller's own id for this contact (a message id). Recording the same
      reference twice returns the first entry, so a retried delivery changes nothing.

    The first contact at or after the lead's creation starts its response time; an earlier
    one (a message imported from before the lead existed) is on the timeline but not counted.
    A contact recorded late, earlier than the one that stopped the clock, moves it back.
    """
    errors: dict[str, list[str]] = {}
    if channel not in ContactChannel.values:
        errors["channel"] = [_("Choose call, WhatsApp, email or SMS.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [
            _("Keep the note under %(limit)s characters.") % {"limit": f"{NOTE_MAX:,}"}
        ]
    reference = (reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = [_("The reference is too long.")]
    if at is not None and timezone.is_naive(at):
        errors["at"] = [_("Give the time of the contact with its time zone.")]
    if errors:
        raise ValidationError(errors)

    lead = Lead.objects.select_for_update().get(pk=_surviving(lead).pk)
    if actor is not None and not can(actor.role, "see_all_leads") and lead.assignee_id != actor.pk:
        raise ValidationError(_("You can log contacts only with your own leads."))
    if reference:
        existing = (
            LeadActivity.objects.filter(
                lead=lead, kind=LeadActivity.Kind.CONTACT, data__reference=reference
            )
            .order_by("id")
            .first()
        )
        if existing is not None:
            return existing

    now = timezone.now()
    at = min(at or now, now)
    counts = at >= lead.created_at
    starts_clock = counts and (lead.first_response_at is None or at < lead.first_response_at)
    activity = LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.CONTACT,
        actor=actor,
        data={
            "channel": channel,
            "note": note,
            "at": at.isoformat(),
            "reference": reference,
            "first_response": starts_clock,
        },
    )
    if starts_clock:
        lead.first_response_at = at
        lead.first_response_channel = channel
        lead.save(update_fields=["first_response_at", "first_response_channel", "updated_at"])
        logger.info(
            "first response recorded",
            extra={"lead_id": lead.pk, "channel": channel},
        )
    return activity


def first_response_target_set(*, actor: Membership, minutes: int):
    """Change how long a new lead may wait for its first contact before it is overdue."""
    if not can(actor.role, "change_agency_settings"):
        raise ValidationError(_("Only an agency admin can change the response target."))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        raise ValidationError(
            {
                "first_response_target_minutes": _(
                    "Choose a target from 1 minute to 1,440 minutes (a day)."
                )
            }
        )
    agency = connection.tenant
    agency.first_response_target_minutes = minutes
    agency.save(update_fields=["first_response_target_minutes"])
    logger.info("first response target changed", extra={"minutes": minutes})
    return agency

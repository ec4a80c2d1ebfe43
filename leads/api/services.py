"""Writes the API makes. Creating goes through `lead_capture` like every other source; changing
a lead goes through the same services the lead page uses (stage, tags, assignment), plus
`lead_update_details` for the person's own details."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from core.phones import phone_digits, phone_normalise
from leads.fields import DETAILS
from leads.inquiries import Inquiry
from leads.models import ApiKey, Interest, Lead, PipelineStage
from leads.services.assignment import lead_assign
from leads.services.intake import CaptureResult, identity_lock, lead_capture, lead_refresh_search
from leads.services.lead_page import lead_set_tags
from leads.services.stages import lead_change_stage

logger = logging.getLogger(__name__)

# The person's details a PATCH may change (`leads.fields.DETAILS`).
DETAIL_FIELDS = tuple(field.name for field in DETAILS)
# Details checked or tidied here; every other detail is stored as the schema read it.
_CHECKED_HERE = frozenset(
    {"phones", "email", "interest", "nationality", "budget_currency", "budget_min", "budget_max"}
)


class DuplicatePerson(ValidationError):
    """A phone or email that already belongs to another lead of the agency."""


@transaction.atomic
def lead_api_create(
    *, api_key: ApiKey, inquiry: Inquiry, tags: list[str], region: str
) -> CaptureResult:
    inquiry.source = "api"
    inquiry.source_details = {**inquiry.source_details, "api_key": api_key.prefix}
    result = lead_capture(inquiry=inquiry, actor=None, region=region)
    if tags:
        merged = [*result.lead.tags, *[t for t in tags if t not in result.lead.tags]]
        lead_set_tags(lead=result.lead, actor=None, tags=merged)
        result.lead.refresh_from_db()
    return result


@transaction.atomic
def lead_update_details(
    *, lead: Lead, actor: Membership | None, changes: dict, region: str
) -> Lead:
    """Change a person's details. A phone or email already on another lead is refused
    (one person, one lead: merge the two leads instead)."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not detail fields: {sorted(unknown)}")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    errors: dict[str, list[str]] = {}

    phones = lead.phones
    if "phones" in changes:
        phones = []
        for raw in changes["phones"]:
            try:
                number = phone_normalise(raw, region=region)
            except ValidationError as error:
                errors.setdefault("phones", []).extend(error.messages)
            else:
                if number not in phones:
                    phones.append(number)
    email = lead.email
    if "email" in changes:
        email = (changes["email"] or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.setdefault("email", []).append(
                    _("“%(value)s” is not a valid email address.") % {"value": changes["email"]}
                )
    if not errors and not phones and not email:
        errors["_"] = [_("Keep at least a phone number or an email address.")]
    interest = changes.get("interest", lead.interest)
    if interest and interest not in Interest.values:
        errors.setdefault("interest", []).append(_("Choose buy, rent or off-plan."))
    budget_min = changes.get("budget_min", lead.budget_min)
    budget_max = changes.get("budget_max", lead.budget_max)
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        errors.setdefault("budget_max", []).append(_("The highest budget is below the lowest."))
    if errors:
        raise ValidationError(errors)

    new_identities = [p for p in phones if p not in lead.phones]
    if email and email != lead.email.lower():
        new_identities.append(email)
    if new_identities:
        identity_lock(new_identities)
        _refuse_duplicates(lead=lead, phones=phones, email=email)

    lead.phones = phones
    lead.phone_digits = " ".join(phone_digits(p) for p in phones)
    lead.email = email
    for name in DETAIL_FIELDS:
        if name in changes and name not in _CHECKED_HERE:
            setattr(lead, name, changes[name])
    if "nationality" in changes:
        lead.nationality = (changes["nationality"] or "").upper()
    if "budget_currency" in changes:
        lead.budget_currency = (changes["budget_currency"] or "").upper()
    lead.interest = interest
    lead.budget_min = budget_min
    lead.budget_max = budget_max
    lead_refresh_search(lead)
    lead.full_clean(exclude=["stage", "assignee", "merged_into"])
    lead.save()
    logger.info("lead details changed", extra={"lead_id": lead.pk, "fields": sorted(changes)})
    return lead


def _refuse_duplicates(*, lead: Lead, phones: list[str], email: str) -> None:
    others = Lead.objects.filter(merged_into__isnull=True).exclude(pk=lead.pk)
    errors: dict[str, list[str]] = {}
    for number in phones:
        other = others.filter(phones__contains=[number]).only("pk").first()
        if other is not None:
            errors.setdefault("phones", []).append(
                _("%(phone)s already belongs to lead %(id)s. Merge the two leads instead.")
                % {"phone": number, "id": other.pk}
            )
    if email:
        other = others.filter(email__iexact=email).only("pk").first()
        if other is not None:
            errors["email"] = [
                _("%(email)s already belongs to lead %(id)s. Merge the two leads instead.")
                % {"email": email, "id": other.pk}
            ]
    if errors:
        raise DuplicatePerson(errors)


@dataclass
class LeadChanges:
    details: dict = field(default_factory=dict)
    stage: PipelineStage | None = None
    lost_reason: str | None = None
    tags: list[str] | None = None
    assignee_sent: bool = False
    assignee: Membership | None = None


@transaction.atomic
def lead_api_update(*, lead: Lead, api_key: ApiKey, changes: LeadChanges, region: str) -> Lead:
    """Apply a PATCH: all of it or, on any error, none of it."""
    if lead.merged_into_id is not None:
        raise ValidationError(
            _("This lead was merged into lead %(id)s. Change that lead instead.")
            % {"id": lead.merged_into_id},
            code="merged",
        )
    if changes.details:
        lead = lead_update_details(lead=lead, actor=None, changes=changes.details, region=region)
    if changes.stage is not None or changes.lost_reason is not None:
        lead.refresh_from_db()
        lead_change_stage(
            lead=lead,
            stage=changes.stage or lead.stage,
            actor=None,
            lost_reason=changes.lost_reason
            if changes.lost_reason is not None
            else lead.lost_reason,
        )
    if changes.tags is not None:
        lead_set_tags(lead=lead, actor=None, tags=changes.tags)
    if changes.assignee_sent:
        lead_assign(lead=lead, assignee=changes.assignee, actor=None, via="api")
    lead.refresh_from_db()
    return lead

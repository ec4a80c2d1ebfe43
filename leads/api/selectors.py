"""Reads for the API. A key acts for the whole agency, so it sees every lead (not merged)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import Membership
from accounts.roles import STAFF_WHO_WORK_LEADS
from leads.models import Lead, PipelineStage


def api_leads(
    *,
    stage: PipelineStage | None = None,
    source: str = "",
    updated_since: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> QuerySet[Lead]:
    """Oldest first by (created_at, id): a new lead joins the end, so a client following
    cursors never skips or repeats one, and can keep its last cursor to fetch new leads."""
    leads = Lead.objects.filter(merged_into__isnull=True).select_related("stage")
    if stage is not None:
        leads = leads.filter(stage=stage)
    if source:
        leads = leads.filter(source=source)
    if updated_since is not None:
        leads = leads.filter(updated_at__gte=updated_since)
    if after is not None:
        created_at, lead_id = after
        # The `>=` lets the index on created_at start the scan at the cursor.
        leads = leads.filter(
            Q(created_at__gte=created_at),
            Q(created_at__gt=created_at) | Q(id__gt=lead_id),
        )
    return leads.order_by("created_at", "id")


def api_lead(*, lead_id: int) -> Lead | None:
    return Lead.objects.select_related("stage").filter(pk=lead_id).first()


def api_stage(reference: int | str) -> PipelineStage | None:
    """A stage by id, or by its English or Arabic name (any case)."""
    if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
        return PipelineStage.objects.filter(pk=int(reference)).first()
    return PipelineStage.objects.filter(
        Q(name__iexact=reference) | Q(name_ar__iexact=reference)
    ).first()


def api_assignee(membership_id: int) -> Membership | None:
    return Membership.objects.filter(
        pk=membership_id, is_active=True, role__in=STAFF_WHO_WORK_LEADS
    ).first()

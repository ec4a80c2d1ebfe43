"""Which leads an actor may see. Every read of leads starts here, so no view can forget it: an
agent sees the leads assigned to them, managers and admins see every lead of the agency."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import Membership
from accounts.roles import can
from leads.models import Lead


def leads_visible(*, actor: Membership) -> QuerySet[Lead]:
    """Every lead the actor may open: all of them for managers and admins, their own for
    agents. Leads merged into another are hidden."""
    leads = Lead.objects.filter(merged_into__isnull=True)
    if not can(actor.role, "see_all_leads"):
        leads = leads.filter(assignee=actor)
    return leads


def leads_visible_by_ids(*, actor: Membership, lead_ids: Iterable[int]) -> QuerySet[Lead]:
    return leads_visible(actor=actor).filter(pk__in=list(lead_ids))

"""Reads about response time and assignment: which leads wait too long for a first contact,
and which have no one working them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import can
from leads.models import Lead, PipelineStage
from leads.selectors.visibility import leads_visible


def first_response_target() -> timedelta:
    minutes = getattr(connection.tenant, "first_response_target_minutes", None) or 15
    return timedelta(minutes=minutes)


def first_response_overdue_cutoff(*, now: datetime | None = None) -> datetime:
    """Leads created before this instant and still not contacted are overdue."""
    return (now or timezone.now()) - first_response_target()


def first_response_overdue_q(*, now: datetime | None = None) -> Q:
    """The overdue condition, to filter or annotate any lead queryset with, for example
    `leads.annotate(overdue=ExpressionWrapper(first_response_overdue_q(), BooleanField()))`.
    Won and lost leads are never overdue: no one needs to answer them any more."""
    return Q(
        first_response_at__isnull=True,
        created_at__lte=first_response_overdue_cutoff(now=now),
        merged_into__isnull=True,
        stage__kind=PipelineStage.Kind.OPEN,
    )


def first_response_due_at(lead: Lead) -> datetime:
    return lead.created_at + first_response_target()


def lead_first_response_overdue(lead: Lead, *, now: datetime | None = None) -> bool:
    return (
        lead.first_response_at is None
        and lead.merged_into_id is None
        and lead.stage.kind == PipelineStage.Kind.OPEN
        and first_response_due_at(lead) <= (now or timezone.now())
    )


def leads_awaiting_first_response(
    *, actor: Membership, now: datetime | None = None
) -> QuerySet[Lead]:
    """The actor's leads past the agency's first-response target without a contact, the
    longest waiting first."""
    return (
        leads_visible(actor=actor)
        .filter(first_response_overdue_q(now=now))
        .select_related("stage", "assignee")
        .order_by("created_at", "id")
    )


def leads_unassigned(*, actor: Membership) -> QuerySet[Lead]:
    """Leads no one works yet (no matching assignment rule, or everyone was out). Only
    managers and admins see them; an agent gets an empty list."""
    if not can(actor.role, "see_all_leads"):
        return Lead.objects.none()
    return (
        Lead.objects.filter(assignee__isnull=True, merged_into__isnull=True)
        .select_related("stage")
        .order_by("-created_at", "-id")
    )

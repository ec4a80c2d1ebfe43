"""Reads for the intake: which lead an inquiry's person already has."""

from __future__ import annotations

from django.db.models import Q

from leads.models import Lead


def lead_find_existing(*, phones: list[str], email: str) -> Lead | None:
    condition = Q()
    if phones:
        condition |= Q(phones__overlap=phones)
    if email:
        condition |= Q(email__iexact=email)
    if not condition:
        return None
    found = Lead.objects.filter(condition).order_by("merged_into_id", "created_at").first()
    # A merged-away lead still carries its phones and email: its person lives on in the lead
    # it was merged into.
    seen: set[int] = set()
    while found is not None and found.merged_into_id is not None and found.pk not in seen:
        seen.add(found.pk)
        found = Lead.objects.filter(pk=found.merged_into_id).first()
    return found

"""Reads for assignment: the agency's rules, who can be handed leads, and people's names."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, Role, User
from accounts.roles import STAFF_WHO_WORK_LEADS
from leads.models import AssignmentRule


def assignment_rules() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.prefetch_related("agents").order_by("position", "id")


def assignable_members() -> list[tuple[Membership, User]]:
    """Active staff who work leads, with their user, agents first then by name."""
    members = list(
        Membership.objects.filter(is_active=True, role__in=STAFF_WHO_WORK_LEADS).order_by("id")
    )
    users = User.objects.in_bulk([m.user_id for m in members])
    rows = [(m, users[m.user_id]) for m in members if m.user_id in users]
    rows.sort(key=lambda row: (row[0].role != "agent", (row[1].full_name or row[1].email).lower()))
    return rows


def member_names(membership_ids: set[int]) -> dict[int, str]:
    """Display names for memberships (the user rows live in the public schema)."""
    members = Membership.objects.filter(pk__in=membership_ids)
    users = User.objects.in_bulk([m.user_id for m in members])
    names: dict[int, str] = {}
    for member in members:
        user = users.get(member.user_id)
        names[member.pk] = (user.full_name or user.email) if user else f"#{member.pk}"
    return names


def members_who_work_leads() -> QuerySet[Membership]:
    return Membership.objects.filter(
        is_active=True, role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN]
    ).order_by("role", "id")


def member_names_all() -> dict[int, str]:
    """Membership id → the person's name (users live in the public schema)."""
    memberships = list(Membership.objects.values_list("pk", "user_id"))
    users = User.objects.in_bulk([user_id for _, user_id in memberships])
    return {
        pk: (users[user_id].full_name or users[user_id].email) if user_id in users else ""
        for pk, user_id in memberships
    }

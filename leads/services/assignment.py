"""Who works a lead: manual (re)assignment by a manager, and round-robin for new leads.

Round-robin: the active rules are tried in order; a rule matches a lead when each of its
filters (sources, languages, communities) is empty or matches. The first matching rule with
someone available hands the lead to the next of its agents after the one it last assigned;
agents who are not on duty today are skipped when the agency has attendance turned on. A rule
whose agents are all out falls through to the next matching rule. No rule, no one: the lead
stays unassigned and managers pick it up from the unassigned filter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import STAFF_WHO_WORK_LEADS, can
from accounts.selectors import attendance_on_duty_ids
from accounts.services import attendance_set_enabled
from core.tasks import email_queue
from leads.models import AssignmentRule, Lead, LeadActivity, Source
from leads.services.response import first_response_target_set

logger = logging.getLogger(__name__)

# The assignee's email (leads.emails registers it with core.emails).
ASSIGNMENT_EMAIL = "leads.assignment"


def _assignable(membership: Membership | None) -> bool:
    return (
        membership is not None and membership.is_active and membership.role in STAFF_WHO_WORK_LEADS
    )


def _notify_on_commit(activity: LeadActivity) -> None:
    email_queue(kind=ASSIGNMENT_EMAIL, object_id=activity.pk)


def _record_assignment(
    *,
    lead: Lead,
    assignee: Membership | None,
    actor: Membership | None,
    data: dict,
) -> LeadActivity:
    previous_id = lead.assignee_id
    lead.assignee = assignee
    lead.assigned_at = timezone.now() if assignee is not None else None
    lead.save(update_fields=["assignee", "assigned_at", "updated_at"])
    activity = LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.ASSIGNED,
        actor=actor,
        data={
            "assignee_id": assignee.pk if assignee else None,
            "previous_assignee_id": previous_id,
            **data,
        },
    )
    # Nobody is told about a lead they gave themselves.
    if assignee is not None and (actor is None or actor.pk != assignee.pk):
        _notify_on_commit(activity)
    return activity


@transaction.atomic
def lead_assign(
    *,
    lead: Lead,
    assignee: Membership | None,
    actor: Membership | None,
    via: str = "",
) -> Lead:
    """Hand a lead to someone (or to no one, with `assignee=None`). Managers and admins only;
    `actor=None` is a trusted caller acting for the agency, such as an API key (`via="api"`)."""
    if actor is not None and not can(actor.role, "assign_leads"):
        raise ValidationError(_("Only a manager or an admin can reassign leads."))
    if assignee is not None:
        assignee = Membership.objects.filter(pk=assignee.pk).first()
        if not _assignable(assignee):
            raise ValidationError(
                {"assignee": _("Choose an active member of your team who works leads.")}
            )
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.assignee_id == (assignee.pk if assignee else None):
        return lead
    data = {"how": "manual"}
    if via:
        data["via"] = via
    _record_assignment(lead=lead, assignee=assignee, actor=actor, data=data)
    logger.info(
        "lead assigned",
        extra={"lead_id": lead.pk, "assignee_id": assignee.pk if assignee else None},
    )
    return lead


def _matches(rule: AssignmentRule, lead: Lead) -> bool:
    if rule.sources and lead.source not in rule.sources:
        return False
    if rule.languages:
        language = (lead.preferred_language or "").lower().split("-")[0]
        if language not in {value.lower() for value in rule.languages}:
            return False
    if rule.communities:
        wanted = {value.casefold() for value in rule.communities}
        if not wanted & {value.casefold() for value in lead.communities}:
            return False
    return True


def _next_in_turn(candidates: list[Membership], last_id: int | None) -> Membership:
    """The first candidate after the one last assigned, wrapping around (ordered by id)."""
    if last_id is not None:
        for candidate in candidates:
            if candidate.pk > last_id:
                return candidate
    return candidates[0]


@transaction.atomic
def lead_auto_assign(*, lead: Lead) -> Membership | None:
    """Round-robin a new, unassigned lead. Returns the assignee, or None."""
    if lead.assignee_id is not None:
        return None
    rules = list(AssignmentRule.objects.filter(is_active=True).order_by("position", "id"))
    matching = [rule for rule in rules if _matches(rule, lead)]
    if not matching:
        return None
    on_duty = (
        attendance_on_duty_ids()
        if getattr(connection.tenant, "attendance_enabled", False)
        else None
    )
    for rule in matching:
        # The row lock makes concurrent captures take turns, so two leads arriving together
        # go to two agents rather than both to the same one.
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        candidates = [
            member
            for member in rule.agents.filter(
                is_active=True, role__in=STAFF_WHO_WORK_LEADS
            ).order_by("id")
            if on_duty is None or member.pk in on_duty
        ]
        if not candidates:
            continue
        assignee = _next_in_turn(candidates, rule.last_assigned_id)
        rule.last_assigned = assignee
        rule.save(update_fields=["last_assigned"])
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.assignee_id is not None:
            return None
        _record_assignment(
            lead=locked,
            assignee=assignee,
            actor=None,
            data={"how": "round_robin", "rule_id": rule.pk},
        )
        lead.assignee = locked.assignee
        lead.assigned_at = locked.assigned_at
        logger.info(
            "lead auto-assigned",
            extra={"lead_id": lead.pk, "assignee_id": assignee.pk, "rule_id": rule.pk},
        )
        return assignee
    return None


# --- Rules ----------------------------------------------------------------------------------


def _clean_list(values: Iterable[str], *, max_length: int) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = " ".join((value or "").split())[:max_length]
        if value and value.casefold() not in {s.casefold() for s in seen}:
            seen.append(value)
    return seen


@transaction.atomic
def assignment_rule_save(
    *,
    actor: Membership,
    rule: AssignmentRule | None = None,
    name: str,
    position: int = 0,
    is_active: bool = True,
    sources: Iterable[str] = (),
    languages: Iterable[str] = (),
    communities: Iterable[str] = (),
    agents: Iterable[Membership] = (),
) -> AssignmentRule:
    """Create a rule (`rule=None`) or change one."""
    if not can(actor.role, "manage_assignment_rules"):
        raise ValidationError(_("Only a manager or an admin can change assignment rules."))
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the rule a name, for example “Arabic speakers”.")]
    sources = _clean_list(sources, max_length=12)
    if any(source not in Source.values for source in sources):
        errors["sources"] = [_("Choose sources from the list.")]
    languages = [value.lower() for value in _clean_list(languages, max_length=5)]
    communities = _clean_list(communities, max_length=80)
    agent_ids = {agent.pk for agent in agents}
    members = list(Membership.objects.filter(pk__in=agent_ids))
    if len(members) != len(agent_ids) or not all(_assignable(m) for m in members):
        errors["agents"] = [_("Choose active members of your team who work leads.")]
    elif not members:
        errors["agents"] = [_("Choose at least one person to receive leads.")]
    if errors:
        raise ValidationError(errors)
    rule = rule or AssignmentRule()
    rule.name = name[:100]
    rule.position = max(0, min(int(position or 0), 32767))
    rule.is_active = is_active
    rule.sources = sources
    rule.languages = languages
    rule.communities = communities
    rule.full_clean()
    rule.save()
    # `last_assigned` stays even if that person left the rule: turns go by id, so the next
    # in line is still the first member after them.
    rule.agents.set(members)
    logger.info("assignment rule saved", extra={"rule_id": rule.pk})
    return rule


@transaction.atomic
def assignment_rule_delete(*, actor: Membership, rule: AssignmentRule) -> None:
    if not can(actor.role, "manage_assignment_rules"):
        raise ValidationError(_("Only a manager or an admin can change assignment rules."))
    rule.delete()


@transaction.atomic
def assignment_options_set(
    *, actor: Membership, attendance_enabled: bool, first_response_target_minutes: int
) -> None:
    """The agency-wide settings of the assignment page, saved together (admins only)."""
    attendance_set_enabled(actor=actor, enabled=attendance_enabled)
    first_response_target_set(actor=actor, minutes=first_response_target_minutes)

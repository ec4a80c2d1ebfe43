"""Writes for follow-ups (a lead's to-dos, the Tasks page) and their reminder emails."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import STAFF_WHO_WORK_LEADS
from leads.models import FollowUp, Lead, LeadActivity
from leads.services.access import lead_work_check

# A follow-up's reminder email (leads.emails registers it with core.emails).
FOLLOW_UP_REMINDER_EMAIL = "leads.follow_up_reminder"


@transaction.atomic
def follow_up_create(
    *,
    lead: Lead,
    actor: Membership | None,
    title: str,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    assignee: Membership | None = None,
) -> FollowUp:
    """A follow-up on the lead. It goes to `assignee`, else the lead's assignee, else the
    actor. A reminder is emailed to that person at `remind_at`."""
    lead_work_check(actor, lead)
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = [_("Say what needs doing, for example “Send the floor plan”.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the task under 200 characters.")]
    for name, value in (("due_at", due_at), ("remind_at", remind_at)):
        if value is not None and timezone.is_naive(value):
            errors[name] = [_("Give the time with its time zone.")]
    now = timezone.now()
    if remind_at is not None and not errors.get("remind_at") and remind_at < now:
        errors["remind_at"] = [_("The reminder time has passed. Choose a time in the future.")]
    if assignee is not None and (
        not assignee.is_active or assignee.role not in STAFF_WHO_WORK_LEADS
    ):
        errors["assignee"] = [_("Choose an active member of your team who works leads.")]
    if errors:
        raise ValidationError(errors)
    if assignee is None:
        assignee = lead.assignee if lead.assignee_id else actor
    follow_up = FollowUp(
        lead=lead,
        assignee=assignee,
        created_by=actor,
        title=title,
        due_at=due_at,
        remind_at=remind_at,
    )
    follow_up.full_clean()
    follow_up.save()
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "created"},
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("lead").get(pk=follow_up.pk)
    lead_work_check(actor, follow_up.lead)
    if follow_up.done_at is not None:
        return follow_up
    follow_up.done_at = timezone.now()
    follow_up.save(update_fields=["done_at"])
    LeadActivity.objects.create(
        lead=follow_up.lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "done"},
    )
    return follow_up


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("lead").get(pk=follow_up.pk)
    lead_work_check(actor, follow_up.lead)
    if follow_up.done_at is None:
        return follow_up
    follow_up.done_at = None
    follow_up.save(update_fields=["done_at"])
    LeadActivity.objects.create(
        lead=follow_up.lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "reopened"},
    )
    return follow_up


def follow_up_toggle(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    """The tick box: an open follow-up is done, a done one is open again."""
    if follow_up.done_at is None:
        return follow_up_complete(follow_up=follow_up, actor=actor)
    return follow_up_reopen(follow_up=follow_up, actor=actor)


def follow_ups_due_for_reminder(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of open follow-ups whose reminder time has come and not been sent. Reminders more than
    a day late are dropped: a reminder that late helps no one."""
    now = now or timezone.now()
    return list(
        FollowUp.objects.filter(
            remind_at__lte=now,
            remind_at__gt=now - timedelta(days=1),
            reminded_at__isnull=True,
            reminder_error="",
            done_at__isnull=True,
            assignee__isnull=False,
        )
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:limit]
    )

"""The Tasks page: open follow-ups grouped by when they are due, in the agency's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import can
from leads.models import FollowUp, Lead
from leads.selectors.calendar import agency_zone
from leads.selectors.visibility import leads_visible

# Enough for any one person's day; a manager looking at everyone sees the most urgent first.
OPEN_LIMIT = 300
DONE_DAYS = 7
DONE_LIMIT = 30


@dataclass
class FollowUpBoard:
    whose: str
    overdue: list[FollowUp] = field(default_factory=list)
    today: list[FollowUp] = field(default_factory=list)
    upcoming: list[FollowUp] = field(default_factory=list)
    undated: list[FollowUp] = field(default_factory=list)
    done: list[FollowUp] = field(default_factory=list)
    capped: bool = False

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.undated)


def follow_ups_whose(*, actor: Membership, whose: str) -> str:
    """The owner filter the actor may use: agents only ever see their own follow-ups; managers and
    admins pick "me", "all", or one person's membership id. Anything else means "me"."""
    if not can(actor.role, "see_all_leads"):
        return "me"
    if whose == "all" or (whose.isdigit() and len(whose) < 12):
        return whose
    return "me"


def follow_ups_visible(*, actor: Membership, whose: str = "me") -> QuerySet[FollowUp]:
    """Follow-ups on leads the actor may open, narrowed to whose they are."""
    follow_ups = FollowUp.objects.filter(lead__in=leads_visible(actor=actor))
    whose = follow_ups_whose(actor=actor, whose=whose)
    if whose == "me":
        follow_ups = follow_ups.filter(assignee=actor)
    elif whose != "all":
        follow_ups = follow_ups.filter(assignee_id=int(whose))
    return follow_ups


def follow_up_for_actor(*, actor: Membership, follow_up_id: int) -> FollowUp | None:
    """One follow-up the actor may tick off: any follow-up on a lead they may open, as on its
    page."""
    return (
        FollowUp.objects.filter(pk=follow_up_id, lead__in=leads_visible(actor=actor))
        .select_related("lead")
        .first()
    )


def follow_up_board(
    *, actor: Membership, whose: str = "me", now: dt.datetime | None = None
) -> FollowUpBoard:
    now = now or timezone.now()
    whose = follow_ups_whose(actor=actor, whose=whose)
    follow_ups = follow_ups_visible(actor=actor, whose=whose).select_related("lead")
    opened = list(
        follow_ups.filter(done_at__isnull=True).order_by(F("due_at").asc(nulls_last=True), "id")[
            : OPEN_LIMIT + 1
        ]
    )
    board = FollowUpBoard(whose=whose, capped=len(opened) > OPEN_LIMIT)
    local = now.astimezone(agency_zone())
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    for follow_up in opened[:OPEN_LIMIT]:
        if follow_up.due_at is None:
            board.undated.append(follow_up)
        elif follow_up.due_at < now:
            board.overdue.append(follow_up)
        elif follow_up.due_at < end_of_today:
            board.today.append(follow_up)
        else:
            board.upcoming.append(follow_up)
    board.done = list(
        follow_ups.filter(done_at__gte=now - dt.timedelta(days=DONE_DAYS)).order_by(
            "-done_at", "-id"
        )[:DONE_LIMIT]
    )
    return board


def lead_open_follow_ups(*, lead: Lead) -> QuerySet[FollowUp]:
    return lead.follow_ups.filter(done_at__isnull=True).order_by("due_at", "id")


def lead_done_follow_ups(*, lead: Lead, limit: int = 10) -> list[FollowUp]:
    return list(lead.follow_ups.filter(done_at__isnull=False).order_by("-done_at", "-id")[:limit])

"""The Tasks page: open follow-ups grouped by when they are due, in the agency's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import can
from leads.models import LeadTask
from leads.selectors.leads import agency_zone, leads_visible

# Enough for any one person's day; a manager looking at everyone sees the most urgent first.
OPEN_LIMIT = 300
DONE_DAYS = 7
DONE_LIMIT = 30


@dataclass
class TaskBoard:
    whose: str
    overdue: list[LeadTask] = field(default_factory=list)
    today: list[LeadTask] = field(default_factory=list)
    upcoming: list[LeadTask] = field(default_factory=list)
    undated: list[LeadTask] = field(default_factory=list)
    done: list[LeadTask] = field(default_factory=list)
    capped: bool = False

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.undated)


def tasks_whose(*, actor: Membership, whose: str) -> str:
    """The owner filter the actor may use: agents only ever see their own tasks; managers and
    admins pick "me", "all", or one person's membership id. Anything else means "me"."""
    if not can(actor.role, "see_all_leads"):
        return "me"
    if whose == "all" or (whose.isdigit() and len(whose) < 12):
        return whose
    return "me"


def tasks_visible(*, actor: Membership, whose: str = "me") -> QuerySet[LeadTask]:
    """Tasks on leads the actor may open, narrowed to whose they are."""
    tasks = LeadTask.objects.filter(lead__in=leads_visible(actor=actor))
    whose = tasks_whose(actor=actor, whose=whose)
    if whose == "me":
        tasks = tasks.filter(assignee=actor)
    elif whose != "all":
        tasks = tasks.filter(assignee_id=int(whose))
    return tasks


def task_for_actor(*, actor: Membership, task_id: int) -> LeadTask | None:
    """One task the actor may tick off: any task on a lead they may open, as on its page."""
    return (
        LeadTask.objects.filter(pk=task_id, lead__in=leads_visible(actor=actor))
        .select_related("lead")
        .first()
    )


def task_board(
    *, actor: Membership, whose: str = "me", now: dt.datetime | None = None
) -> TaskBoard:
    now = now or timezone.now()
    whose = tasks_whose(actor=actor, whose=whose)
    tasks = tasks_visible(actor=actor, whose=whose).select_related("lead")
    opened = list(
        tasks.filter(done_at__isnull=True).order_by(F("due_at").asc(nulls_last=True), "id")[
            : OPEN_LIMIT + 1
        ]
    )
    board = TaskBoard(whose=whose, capped=len(opened) > OPEN_LIMIT)
    local = now.astimezone(agency_zone())
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    for task in opened[:OPEN_LIMIT]:
        if task.due_at is None:
            board.undated.append(task)
        elif task.due_at < now:
            board.overdue.append(task)
        elif task.due_at < end_of_today:
            board.today.append(task)
        else:
            board.upcoming.append(task)
    board.done = list(
        tasks.filter(done_at__gte=now - dt.timedelta(days=DONE_DAYS)).order_by("-done_at", "-id")[
            :DONE_LIMIT
        ]
    )
    return board

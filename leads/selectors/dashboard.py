"""Figures for the "Today" dashboard: new leads by source, the pipeline funnel, overdue follow-ups
and response time, each over the leads the actor may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import can
from leads.models import FollowUp, PipelineStage, Source
from leads.selectors.calendar import agency_zone
from leads.selectors.reports import response_time_report
from leads.selectors.response import leads_awaiting_first_response
from leads.selectors.visibility import leads_visible

FUNNEL_DAYS = 90
COUNT_CAP = 100


@dataclass
class SourceCount:
    source: str
    label: str
    today: int = 0
    week: int = 0


@dataclass
class FunnelStep:
    stage: PipelineStage
    count: int
    percent: int


@dataclass
class Dashboard:
    new_today: int
    new_week: int
    by_source: list[SourceCount]
    funnel: list[FunnelStep]
    overdue_follow_ups: list[FollowUp]
    overdue_follow_up_count: int
    awaiting_first_response: int
    awaiting_preview: list = field(default_factory=list)
    response: object | None = None
    week_start: dt.date | None = None


def _day_start(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(agency_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def follow_ups_overdue(*, actor: Membership, now: dt.datetime | None = None) -> QuerySet[FollowUp]:
    """Open follow-ups past their due time: the actor's own for an agent, everyone's for managers,
    on leads the actor may see."""
    now = now or timezone.now()
    follow_ups = FollowUp.objects.filter(
        done_at__isnull=True,
        due_at__lt=now,
        lead__in=leads_visible(actor=actor),
    )
    if not can(actor.role, "see_all_leads"):
        follow_ups = follow_ups.filter(assignee=actor)
    return follow_ups.select_related("lead").order_by("due_at", "id")


def dashboard_figures(*, actor: Membership, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = _day_start(now)
    # The working week in the UAE runs Monday to Friday.
    week = today - dt.timedelta(days=today.weekday())
    visible = leads_visible(actor=actor)
    labels = dict(Source.choices)
    counts: dict[str, SourceCount] = {}
    for row in visible.filter(created_at__gte=week).values("source").annotate(n=Count("id")):
        counts[row["source"]] = SourceCount(
            row["source"], str(labels.get(row["source"], row["source"])), week=row["n"]
        )
    for row in visible.filter(created_at__gte=today).values("source").annotate(n=Count("id")):
        counts.setdefault(
            row["source"], SourceCount(row["source"], str(labels.get(row["source"], "")))
        ).today = row["n"]
    by_source = sorted(counts.values(), key=lambda c: (-c.week, c.label))

    # The funnel covers the leads of the last 90 days: what the team is working now, read
    # through the creation-time index rather than every lead the agency ever had.
    recent = visible.filter(created_at__gte=today - dt.timedelta(days=FUNNEL_DAYS))
    per_stage = dict(recent.values_list("stage_id").annotate(n=Count("id")))
    stages = list(PipelineStage.objects.order_by("position", "id"))
    top = max(per_stage.values(), default=0)
    funnel = [
        FunnelStep(
            stage=stage,
            count=per_stage.get(stage.pk, 0),
            percent=round(100 * per_stage.get(stage.pk, 0) / top) if top else 0,
        )
        for stage in stages
        if stage.is_active or per_stage.get(stage.pk)
    ]

    overdue = follow_ups_overdue(actor=actor, now=now)
    # The freshest unanswered leads first: they are the ones a fast reply still wins. The
    # count stops at COUNT_CAP, which the page shows as "99+", so it never reads every lead.
    awaiting = leads_awaiting_first_response(actor=actor, now=now).order_by("-created_at", "-id")
    awaiting_preview = list(awaiting[:5])
    awaiting_count = len(awaiting.values_list("pk", flat=True)[:COUNT_CAP])
    response = None
    if can(actor.role, "see_all_leads"):
        response = response_time_report(date_from=week.date(), date_to=today.date(), now=now).total

    return Dashboard(
        new_today=sum(c.today for c in by_source),
        new_week=sum(c.week for c in by_source),
        by_source=by_source,
        funnel=funnel,
        overdue_follow_ups=list(overdue[:8]),
        overdue_follow_up_count=len(overdue.values_list("pk", flat=True)[:COUNT_CAP]),
        awaiting_first_response=awaiting_count,
        awaiting_preview=awaiting_preview,
        response=response,
        week_start=week.date(),
    )

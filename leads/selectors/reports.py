"""Response-time figures for managers: how fast new leads are first contacted, per agent and
per source, over a date range.

A lead counts in the range of the day it was created (in the agency's time zone). Its response
time is `first_response_at - created_at`; medians and 90th percentiles are computed by
PostgreSQL (`percentile_cont`) over the leads that have been contacted. "Per agent" means the
lead's current assignee: the person answerable for it, whoever made the first contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Lead, PipelineStage, Source
from leads.selectors.assignment import member_names
from leads.selectors.response import first_response_overdue_cutoff, first_response_target
from tenants.selectors import agency_timezone

MAX_RANGE_DAYS = 366


class PercentileCont(Aggregate):
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`; NULLs are skipped."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _response_seconds() -> Func:
    return Func(
        F("first_response_at") - F("created_at"),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


@dataclass(frozen=True)
class ResponseRow:
    key: str
    label: str
    leads: int
    contacted: int
    within_target: int
    waiting: int
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def within_target_percent(self) -> int | None:
        if not self.contacted:
            return None
        return round(100 * self.within_target / self.contacted)

    @property
    def median_display(self) -> str:
        return duration_short(self.median_seconds)

    @property
    def p90_display(self) -> str:
        return duration_short(self.p90_seconds)


@dataclass(frozen=True)
class ResponseReport:
    date_from: date
    date_to: date
    target_minutes: int
    total: ResponseRow
    by_agent: list[ResponseRow]
    by_source: list[ResponseRow]


def report_bounds(*, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The instants the local days `date_from`..`date_to` (inclusive) begin and end."""
    tz = agency_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _figures(leads: QuerySet[Lead], *, group_by: str | None, now: datetime) -> list[dict] | dict:
    seconds = _response_seconds()
    aggregates = {
        "leads": Count("id"),
        "contacted": Count("first_response_at"),
        "within_target": Count(
            "id", filter=Q(first_response_at__lte=F("created_at") + first_response_target())
        ),
        "waiting": Count(
            "id",
            filter=Q(
                first_response_at__isnull=True,
                created_at__lte=first_response_overdue_cutoff(now=now),
                stage__kind=PipelineStage.Kind.OPEN,
            ),
        ),
        "median_seconds": PercentileCont(seconds, fraction=0.5),
        "p90_seconds": PercentileCont(seconds, fraction=0.9),
    }
    if group_by is None:
        return leads.aggregate(**aggregates)
    return list(leads.values(group_by).annotate(**aggregates).order_by(group_by))


def _row(key: str, label: str, figures: dict) -> ResponseRow:
    return ResponseRow(
        key=key,
        label=label,
        leads=figures["leads"] or 0,
        contacted=figures["contacted"] or 0,
        within_target=figures["within_target"] or 0,
        waiting=figures["waiting"] or 0,
        median_seconds=figures["median_seconds"],
        p90_seconds=figures["p90_seconds"],
    )


def response_time_report(
    *, date_from: date, date_to: date, now: datetime | None = None
) -> ResponseReport:
    now = now or timezone.now()
    start, end = report_bounds(date_from=date_from, date_to=date_to)
    leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    total = _row("all", _("All leads"), _figures(leads, group_by=None, now=now))

    per_agent = _figures(leads, group_by="assignee_id", now=now)
    names = member_names({row["assignee_id"] for row in per_agent if row["assignee_id"]})
    by_agent = [
        _row(
            str(row["assignee_id"] or ""),
            names.get(row["assignee_id"], "") if row["assignee_id"] else _("Unassigned"),
            row,
        )
        for row in per_agent
    ]
    # Slowest first, so the agent who needs help is at the top; unassigned last.
    by_agent.sort(key=lambda r: (r.key == "", -(r.median_seconds or -1), r.label.casefold()))

    source_labels = dict(Source.choices)
    by_source = [
        _row(row["source"], str(source_labels.get(row["source"], row["source"])), row)
        for row in _figures(leads, group_by="source", now=now)
    ]
    by_source.sort(key=lambda r: -r.leads)
    return ResponseReport(
        date_from=date_from,
        date_to=date_to,
        target_minutes=int(first_response_target().total_seconds() // 60),
        total=total,
        by_agent=by_agent,
        by_source=by_source,
    )


def duration_short(seconds: float | None) -> str:
    """`45 s`, `12 min`, `1 h 5 min`, `2 d 4 h`; an em dash when there is nothing to show."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return _("%(days)s d") % {"days": days}

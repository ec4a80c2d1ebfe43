"""Attendance: staff check in and out from their phone, and round-robin assignment hands new
leads only to people on duty when the agency has turned attendance on.

"On duty" means an open check-in that began today in the agency's time zone: a check-in left
open overnight (someone forgot to check out) does not keep a person on duty the next morning.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import AttendanceCheckIn, Membership, User
from accounts.roles import STAFF_WHO_WORK_LEADS, can

logger = logging.getLogger(__name__)


def agency_timezone() -> zoneinfo.ZoneInfo:
    name = getattr(connection.tenant, "timezone", "") or "Asia/Dubai"
    return zoneinfo.ZoneInfo(name)


def local_day_start(*, now: datetime | None = None) -> datetime:
    """Midnight today in the agency's time zone (an aware datetime)."""
    tz = agency_timezone()
    local = timezone.localtime(now or timezone.now(), tz)
    return datetime.combine(local.date(), time.min, tzinfo=tz)


def _local_time(value: datetime) -> str:
    return formats.time_format(timezone.localtime(value, agency_timezone()), "H:i")


# --- Reads ----------------------------------------------------------------------------------


def attendance_open_check_in(*, membership: Membership) -> AttendanceCheckIn | None:
    return AttendanceCheckIn.objects.filter(
        membership=membership, checked_out_at__isnull=True
    ).first()


def attendance_on_duty_ids(*, now: datetime | None = None) -> set[int]:
    """Membership ids with an open check-in that began today."""
    return set(
        AttendanceCheckIn.objects.filter(
            checked_out_at__isnull=True, checked_in_at__gte=local_day_start(now=now)
        ).values_list("membership_id", flat=True)
    )


def attendance_is_on_duty(*, membership: Membership, now: datetime | None = None) -> bool:
    return AttendanceCheckIn.objects.filter(
        membership=membership,
        checked_out_at__isnull=True,
        checked_in_at__gte=local_day_start(now=now),
    ).exists()


@dataclass(frozen=True)
class DutyRow:
    membership: Membership
    user: User | None
    on_duty: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None


def attendance_today(*, now: datetime | None = None) -> list[DutyRow]:
    """Everyone who works leads and how their day went: on duty first, then who has left,
    then who has not checked in."""
    day_start = local_day_start(now=now)
    members = list(
        Membership.objects.filter(is_active=True, role__in=STAFF_WHO_WORK_LEADS).order_by("id")
    )
    users = User.objects.in_bulk([m.user_id for m in members])
    todays: dict[int, AttendanceCheckIn] = {}
    # Newest first, so each person's latest check-in of the day wins.
    for check_in in AttendanceCheckIn.objects.filter(
        checked_in_at__gte=day_start, membership__in=members
    ).order_by("membership_id", "-checked_in_at"):
        todays.setdefault(check_in.membership_id, check_in)
    rows = []
    for member in members:
        latest = todays.get(member.pk)
        rows.append(
            DutyRow(
                membership=member,
                user=users.get(member.user_id),
                on_duty=latest is not None and latest.checked_out_at is None,
                checked_in_at=latest.checked_in_at if latest else None,
                checked_out_at=latest.checked_out_at if latest else None,
            )
        )
    rows.sort(key=lambda r: (not r.on_duty, r.checked_in_at is None, r.membership.pk))
    return rows


# --- Writes ---------------------------------------------------------------------------------


@transaction.atomic
def attendance_check_in(*, actor: Membership, now: datetime | None = None) -> AttendanceCheckIn:
    now = now or timezone.now()
    if not getattr(connection.tenant, "attendance_enabled", False):
        raise ValidationError(
            _("Attendance check-in is turned off for this agency. Ask your admin to turn it on.")
        )
    if not can(actor.role, "check_in"):
        raise ValidationError(_("Only staff who work leads check in."))
    # Locking the person's membership row serialises a double tap on the button.
    Membership.objects.select_for_update().filter(pk=actor.pk).first()
    open_check_in = attendance_open_check_in(membership=actor)
    day_start = local_day_start(now=now)
    if open_check_in is not None:
        if open_check_in.checked_in_at >= day_start:
            raise ValidationError(
                _("You are already checked in since %(time)s.")
                % {"time": _local_time(open_check_in.checked_in_at)}
            )
        # Left open on an earlier day: close it at that day's end rather than now, so the
        # record does not claim a night on duty.
        local_start = timezone.localtime(open_check_in.checked_in_at, agency_timezone())
        day_end = datetime.combine(local_start.date(), time.max, tzinfo=agency_timezone())
        open_check_in.checked_out_at = min(day_end, now)
        open_check_in.save(update_fields=["checked_out_at"])
    check_in = AttendanceCheckIn(membership=actor, checked_in_at=now)
    try:
        with transaction.atomic():
            check_in.save()
    except IntegrityError as error:
        raise ValidationError(_("You are already checked in.")) from error
    logger.info("checked in", extra={"membership_id": actor.pk})
    return check_in


@transaction.atomic
def attendance_check_out(*, actor: Membership, now: datetime | None = None) -> AttendanceCheckIn:
    now = now or timezone.now()
    check_in = (
        AttendanceCheckIn.objects.select_for_update()
        .filter(membership=actor, checked_out_at__isnull=True)
        .first()
    )
    if check_in is None:
        raise ValidationError(_("You are not checked in, so there is nothing to check out of."))
    check_in.checked_out_at = max(now, check_in.checked_in_at + timedelta(microseconds=1))
    check_in.save(update_fields=["checked_out_at"])
    logger.info("checked out", extra={"membership_id": actor.pk})
    return check_in


def attendance_set_enabled(*, actor: Membership, enabled: bool):
    """Turn attendance on or off for the current agency (admins only)."""
    if not can(actor.role, "change_agency_settings"):
        raise ValidationError(_("Only an agency admin can turn attendance on or off."))
    agency = connection.tenant
    agency.attendance_enabled = bool(enabled)
    agency.save(update_fields=["attendance_enabled"])
    logger.info("attendance setting changed", extra={"enabled": agency.attendance_enabled})
    return agency

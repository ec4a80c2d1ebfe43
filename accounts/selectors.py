from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AttendanceCheckIn, Invitation, Membership, User
from accounts.roles import STAFF_WHO_WORK_LEADS
from tenants.selectors import local_day_start


def membership_for_user(*, user_id: int) -> Membership | None:
    """The active membership of a user in the current agency (schema), if any."""
    return Membership.objects.filter(user_id=user_id, is_active=True).first()


def memberships() -> QuerySet[Membership]:
    return Membership.objects.order_by("role", "id")


def team_members() -> list[tuple[Membership, User]]:
    rows = list(memberships())
    users = User.objects.in_bulk([m.user_id for m in rows])
    return [(m, users[m.user_id]) for m in rows if m.user_id in users]


def open_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def user_has_totp(*, user_id: int) -> bool:
    return Authenticator.objects.filter(user_id=user_id, type=Authenticator.Type.TOTP).exists()


def user_can_add_authenticator(*, user_id: int) -> bool:
    """allauth refuses a second factor while any of the person's addresses is unverified."""
    if app_settings.ALLOW_UNVERIFIED_EMAIL:
        return True
    return not EmailAddress.objects.filter(user_id=user_id, verified=False).exists()


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


# --- Attendance --------------------------------------------------------------------------


def attendance_open_check_in(*, membership: Membership) -> AttendanceCheckIn | None:
    return AttendanceCheckIn.objects.filter(
        membership=membership, checked_out_at__isnull=True
    ).first()


def attendance_last_today(*, membership: Membership) -> AttendanceCheckIn | None:
    """This person's latest check-in of the agency's day, open or closed."""
    return (
        membership.check_ins.filter(checked_in_at__gte=local_day_start())
        .order_by("-checked_in_at")
        .first()
    )


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


# Younger invitations' emails are most likely still in the queue, not lost.
INVITATION_EMAIL_GRACE = timedelta(minutes=2)


def invitations_unsent(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Open invitations whose email has not gone out (nor been refused for good)."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            sent_at__isnull=True,
            send_error="",
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_at__lt=now - INVITATION_EMAIL_GRACE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )

"""Writes for people, memberships and invitations."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from accounts import selectors
from accounts.models import AttendanceCheckIn, Invitation, Membership, Role, User
from accounts.roles import can
from core.tasks import email_queue
from tenants.models import Agency
from tenants.selectors import agency_timezone, local_day_start
from tenants.services import FirstAdmin, agency_set_attendance

logger = logging.getLogger(__name__)

INVITATION_TTL = timedelta(days=7)
INVITATION_SALT = "aqari.invitation"
# The invitation email's kind (accounts.emails registers it with core.emails).
INVITATION_EMAIL = "accounts.invitation"


def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    language: str = "",
    is_staff: bool = False,
) -> User:
    email = (email or "").strip().lower()
    if selectors.user_by_email(email=email) is not None:
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User(email=email, full_name=full_name.strip(), language=language, is_staff=is_staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _email_address_record(user=user, verified=False)
    logger.info("user created", extra={"user_id": user.pk})
    return user


def _email_address_record(*, user: User, verified: bool) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": verified}
    )


def membership_create(*, user: User, role: str) -> Membership:
    """Adds a person to the current agency with one role."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of the listed roles.")})
    existing = Membership.objects.filter(user_id=user.pk).first()
    if existing is not None:
        raise ValidationError(_("This person is already a member of this agency."))
    membership = Membership(user_id=user.pk, role=role)
    membership.full_clean()
    membership.save()
    logger.info("membership created", extra={"membership_id": membership.pk, "role": role})
    return membership


def user_set_language(*, user: User, language: str) -> User:
    if language not in ("en", "ar"):
        raise ValidationError({"language": _("Choose English or Arabic.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


def invitation_link_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    invitation = Invitation.objects.filter(pk=data.get("i")).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(data.get("n"))):
        return None
    return invitation


@transaction.atomic
def invitation_create(*, actor: Membership, email: str, role: str) -> Invitation:
    if not can(actor.role, "invite_staff"):
        raise ValidationError(_("Only an agency admin can invite staff."))
    email = email.strip().lower()
    user = selectors.user_by_email(email=email)
    if user is not None and Membership.objects.filter(user_id=user.pk).exists():
        raise ValidationError({"email": _("This person is already a member of this agency.")})
    # A new invitation to the same address replaces an open one.
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation(
        email=email,
        role=role,
        nonce=secrets.token_hex(16),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    invitation.full_clean()
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as error:
        raise ValidationError(_("An invitation to this address is already open.")) from error
    email_queue(kind=INVITATION_EMAIL, object_id=invitation.pk)
    logger.info("invitation created", extra={"invitation_id": invitation.pk, "role": role})
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> None:
    if not can(actor.role, "invite_staff"):
        raise ValidationError(_("Only an agency admin can revoke invitations."))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, full_name: str = "", password: str = ""
) -> Membership:
    """Accepts an open invitation: links an existing account, or creates one.

    `user` is the signed-in person accepting (their email must match); otherwise an account is
    created with `full_name` and `password`.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(
            _(
                "This invitation has expired or was already used. Ask the "
                "agency's admin to send a new one."
            )
        )
    if user is None:
        if selectors.user_by_email(email=invitation.email) is not None:
            raise ValidationError(
                _(
                    "An account with this email already exists. Sign in "
                    "first, then open the invitation link again."
                )
            )
        user = user_create(email=invitation.email, password=password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _(
                "This invitation was sent to another email address. Sign out "
                "and open the link again."
            )
        )
    # The invitation went to this address, so following its link proves the address.
    _email_address_record(user=user, verified=True)
    membership = membership_create(user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_membership = membership
    invitation.save(update_fields=["accepted_at", "accepted_membership"])
    return membership


# --- Opening an agency (a provisioning step registered with tenants) ------------------------


def first_admin_validate(first_admin: FirstAdmin) -> dict[str, list[str]]:
    """The first admin's part of a new agency's checks: a valid email, and a password that
    passes the validators unless the person already has an account."""
    errors: dict[str, list[str]] = {}
    try:
        validate_email(first_admin.email)
    except ValidationError:
        errors["admin_email"] = [_("Enter a valid email address for the first admin.")]
    if selectors.user_by_email(email=first_admin.email) is None:
        try:
            password_validation.validate_password(
                first_admin.password or "", User(email=first_admin.email, full_name="")
            )
        except ValidationError as error:
            errors["admin_password"] = error.messages
    return errors


def first_admin_provision(agency: Agency, first_admin: FirstAdmin) -> None:
    """Inside the agency's creation: its first admin, a new account or an existing one."""
    user = selectors.user_by_email(email=first_admin.email)
    if user is None:
        user = user_create(
            email=first_admin.email, password=first_admin.password, full_name=first_admin.name
        )
    with schema_context(agency.schema_name):
        membership_create(user=user, role=Role.ADMIN)


# --- Attendance --------------------------------------------------------------------------


def _local_time(value: datetime) -> str:
    return formats.time_format(timezone.localtime(value, agency_timezone()), "H:i")


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
    open_check_in = selectors.attendance_open_check_in(membership=actor)
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
    agency = agency_set_attendance(agency=connection.tenant, enabled=bool(enabled))
    logger.info("attendance setting changed", extra={"enabled": agency.attendance_enabled})
    return agency

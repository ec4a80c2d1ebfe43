from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Invitation, Membership, User


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
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user_id, type=Authenticator.Type.TOTP).exists()


def user_can_add_authenticator(*, user_id: int) -> bool:
    """allauth refuses a second factor while any of the person's addresses is unverified."""
    from allauth.account.models import EmailAddress
    from allauth.mfa import app_settings

    if app_settings.ALLOW_UNVERIFIED_EMAIL:
        return True
    return not EmailAddress.objects.filter(user_id=user_id, verified=False).exists()


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()

"""The emails accounts sends, registered with core.emails (sent after commit, once)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Invitation
from accounts.services import INVITATION_EMAIL, invitation_link_token
from core.emails import email_kind_register
from core.providers.email import OutgoingEmail
from tenants.selectors import agency_url, current_agency


def invitation_email_compose(invitation_id: int) -> OutgoingEmail | None:
    """The invitation's email while it is open and not yet sent."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if (
        invitation is None
        or not invitation.is_open
        or invitation.sent_at is not None
        or invitation.send_error
    ):
        return None
    agency = current_agency()
    link = agency_url(agency, f"/invitations/{invitation_link_token(invitation)}/")
    with translation.override(agency.default_language):
        context = {"agency": agency, "invitation": invitation, "link": link}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_message.txt", context)
    return OutgoingEmail(
        sender=settings.DEFAULT_FROM_EMAIL, to=(invitation.email,), subject=subject, text=body
    )


@transaction.atomic
def invitation_email_mark_sent(invitation_id: int, provider_id: str) -> None:
    Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(sent_at=timezone.now())


@transaction.atomic
def invitation_email_give_up(invitation_id: int, code: str) -> None:
    Invitation.objects.filter(pk=invitation_id).update(send_error=code[:40])


def register() -> None:
    email_kind_register(
        name=INVITATION_EMAIL,
        compose=invitation_email_compose,
        mark_sent=invitation_email_mark_sent,
        give_up=invitation_email_give_up,
    )

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Invitation
from core.tasks import tenant_task
from tenants.selectors import agency_url

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
@tenant_task
def invitation_send(self, invitation_id: int) -> None:
    from django.core.mail import send_mail

    from accounts.services import invitation_link_token

    with transaction.atomic():
        # Locked, and marked sent in the same transaction: a duplicated task sends once.
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or not invitation.is_open or invitation.sent_at is not None:
            return
        agency = connection.tenant
        link = agency_url(agency, f"/invitations/{invitation_link_token(invitation)}/")
        with translation.override(agency.default_language):
            context = {"agency": agency, "invitation": invitation, "link": link}
            subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
            body = render_to_string("accounts/email/invitation_message.txt", context)
        try:
            send_mail(subject, body, None, [invitation.email])
        except Exception as error:
            logger.warning("invitation email failed", extra={"invitation_id": invitation_id})
            raise self.retry(exc=error) from error
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])

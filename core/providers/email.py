"""Email out: Resend in production, a recording fake in development and tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

from core.providers.fakes import FakeFailure, fake_maybe_fail, fake_record_once

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


class EmailSendError(Exception):
    """The provider refused or could not be reached. `retryable` is the provider's word on
    whether the same request may succeed later (rate limits, outages), as opposed to a request
    it will never accept (a malformed address, a domain not verified)."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


def status_is_retryable(code: str) -> bool:
    """HTTP status as a provider reports it: 408, 409 (a concurrent idempotent request), 429
    and 5xx may succeed later; the other 4xx will not."""
    return code in {"408", "409", "429"} or code.startswith("5")


class EmailProvider(Protocol):
    name: str

    def send(self, email: OutgoingEmail, *, idempotency_key: str | None = None) -> str:
        """Send one email; return the provider's message id. Raise EmailSendError on failure.
        Two sends with the same idempotency key send one email (within a day)."""


class FakeEmailProvider:
    name = "fake"

    def send(self, email: OutgoingEmail, *, idempotency_key: str | None = None) -> str:
        try:
            fake_maybe_fail("email")
        except FakeFailure as error:
            raise EmailSendError(
                str(error), code=error.code, retryable=status_is_retryable(error.code)
            ) from error
        return fake_record_once(
            "email",
            idempotency_key,
            {
                "from": email.sender,
                "to": list(email.to),
                "cc": list(email.cc),
                "bcc": list(email.bcc),
                "subject": email.subject,
                "text": email.text,
                "html": email.html,
            },
        )


class ResendEmailProvider:
    name = "resend"

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def send(self, email: OutgoingEmail, *, idempotency_key: str | None = None) -> str:
        import requests
        import resend

        resend.api_key = self.api_key
        params: dict = {
            "from": email.sender,
            "to": list(email.to),
            "subject": email.subject,
            "text": email.text,
        }
        if email.html:
            params["html"] = email.html
        if email.cc:
            params["cc"] = list(email.cc)
        if email.bcc:
            params["bcc"] = list(email.bcc)
        if email.reply_to:
            params["reply_to"] = list(email.reply_to)
        if email.headers:
            params["headers"] = dict(email.headers)
        options = {"idempotency_key": idempotency_key} if idempotency_key else None
        try:
            response = resend.Emails.send(params, options)
        except resend.exceptions.ResendError as error:
            code = str(error.code)
            raise EmailSendError(
                error.message, code=code, retryable=status_is_retryable(code)
            ) from error
        except (requests.ConnectionError, requests.Timeout) as error:
            raise EmailSendError(
                "Resend could not be reached.", code="network", retryable=True
            ) from error
        return str(response["id"])


def get_email_provider() -> EmailProvider:
    if settings.AQARI_EMAIL_PROVIDER == "resend":
        if not settings.RESEND_API_KEY:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("RESEND_API_KEY must be set to send email with Resend.")
        return ResendEmailProvider(settings.RESEND_API_KEY)
    return FakeEmailProvider()


class ProviderEmailBackend(BaseEmailBackend):
    """Django's mail API (allauth, password reset) delivered through the email provider."""

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        provider = get_email_provider()
        sent = 0
        for message in email_messages:
            html = None
            if isinstance(message, EmailMultiAlternatives):
                html = next((c for c, mime in message.alternatives if mime == "text/html"), None)
            outgoing = OutgoingEmail(
                sender=message.from_email or settings.DEFAULT_FROM_EMAIL,
                # Blind copies stay blind: never merged into the visible recipients.
                to=tuple(message.to),
                cc=tuple(message.cc),
                bcc=tuple(message.bcc),
                subject=str(message.subject),
                text=str(message.body),
                html=html,
                reply_to=tuple(message.reply_to),
                headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
            )
            try:
                provider.send(outgoing)
            except Exception:
                logger.warning("email send failed", extra={"provider": provider.name})
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

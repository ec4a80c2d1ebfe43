"""Emails sent after commit: one mechanism for every app.

An app registers a kind of email once (from its AppConfig.ready) with three functions over the
id of the row the email is about (an invitation, an assignment, a follow-up):

* `compose(id)` reads the row and returns the email, or None when there is nothing to send
  (already sent, withdrawn, nobody to write to). It is the row that remembers what was sent.
* `mark_sent(id, provider_id)` records that it went.
* `give_up(id, code)` records that the email will never go, so no sweep offers it again: the
  provider refused it for good (its error code), or `compose` raised `NoRecipient` (the person
  it was for has left; code "no_recipient").

A service calls `core.tasks.email_queue(kind=..., object_id=...)` inside its transaction; the
task is published on commit, so a rolled-back change sends nothing. The worker composes, sends
outside any transaction with an idempotency key made of the database, schema, kind and id (so a
task delivered twice, or a retry after a send whose result was lost, sends one email), and
retries only errors the provider calls retryable. A sweep that finds rows never marked sent
queues them again through the same path. Messaging's outbox extends the same idea to messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from core.providers.email import EmailSendError, OutgoingEmail, get_email_provider

logger = logging.getLogger(__name__)


class NoRecipient(Exception):
    """Raised by `compose` when the email is still owed but nobody can receive it."""


@dataclass(frozen=True)
class EmailKind:
    name: str
    compose: Callable[[int], OutgoingEmail | None]
    mark_sent: Callable[[int, str], None]
    give_up: Callable[[int, str], None]


_kinds: dict[str, EmailKind] = {}


def email_kind_register(
    *,
    name: str,
    compose: Callable[[int], OutgoingEmail | None],
    mark_sent: Callable[[int, str], None],
    give_up: Callable[[int, str], None],
) -> None:
    _kinds[name] = EmailKind(name=name, compose=compose, mark_sent=mark_sent, give_up=give_up)


def email_kind(name: str) -> EmailKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No email kind {name!r} is registered.") from None


def email_idempotency_key(*, kind: str, object_id: int) -> str:
    """Unique to one email: row ids restart in every database and every agency schema."""
    return f"{connection.settings_dict['NAME']}:{connection.schema_name}:{kind}:{object_id}"


def email_deliver(*, kind: str, object_id: int) -> str:
    """Compose, send and record one email; returns "sent", "skipped" or "refused". Raises
    EmailSendError when the provider says a later try may succeed."""
    spec = email_kind(kind)
    try:
        email = spec.compose(object_id)
    except NoRecipient:
        spec.give_up(object_id, "no_recipient")
        return "skipped"
    if email is None:
        return "skipped"
    try:
        provider_id = get_email_provider().send(
            email, idempotency_key=email_idempotency_key(kind=kind, object_id=object_id)
        )
    except EmailSendError as error:
        if error.retryable:
            logger.warning(
                "email send failed, will retry", extra={"kind": kind, "code": error.code}
            )
            raise
        logger.warning("email refused by the provider", extra={"kind": kind, "code": error.code})
        spec.give_up(object_id, error.code)
        return "refused"
    spec.mark_sent(object_id, provider_id)
    return "sent"

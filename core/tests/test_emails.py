"""Emails after commit (core.emails + core.tasks.email_send), proven on a real kind: the
invitation email accounts registers."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests
from celery.exceptions import Retry
from django.db import transaction

from accounts import services
from accounts.models import Invitation
from accounts.tests.factories import InvitationFactory
from core.emails import email_deliver
from core.providers import fake_fail_next
from core.tasks import email_send

KIND = services.INVITATION_EMAIL


def invite(fixture, email="new.agent@example.test") -> Invitation:
    return InvitationFactory(actor=fixture.member("admin"), email=email)


def emails_to(outbox, address: str) -> list[dict]:
    return [item for item in outbox("email") if address in item["to"]]


def test_an_email_goes_out_only_when_the_change_commits(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # given an invitation whose transaction is rolled back
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            invite(agency_a, "rolled.back@example.test")
            raise RuntimeError("the request failed after the write")

    # then nothing was queued and nothing sent
    assert callbacks == []
    assert emails_to(outbox, "rolled.back@example.test") == []

    # when one commits
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(agency_a, "kept@example.test")

    # then it is sent once and the row remembers it
    assert len(emails_to(outbox, "kept@example.test")) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_a_task_delivered_twice_sends_one_email(agency_a, outbox):
    # given an invitation not yet sent
    invitation = invite(agency_a)

    # when its task runs twice
    first = email_send.apply(args=(KIND, invitation.pk)).get()
    second = email_send.apply(args=(KIND, invitation.pk)).get()

    # then one email went out
    assert (first, second) == ("sent", "skipped")
    assert len(emails_to(outbox, "new.agent@example.test")) == 1


def test_a_send_whose_result_was_lost_is_not_sent_again(agency_a, outbox):
    # given the provider took the email but the row was never marked (a crash in between)
    invitation = invite(agency_a)
    assert email_deliver(kind=KIND, object_id=invitation.pk) == "sent"
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)

    # when the sweep sends it again
    email_deliver(kind=KIND, object_id=invitation.pk)

    # then the idempotency key kept it to one email
    assert len(emails_to(outbox, "new.agent@example.test")) == 1


def test_an_outage_is_retried_and_then_sent_once(agency_a, outbox):
    # given the provider is down for one try
    invitation = invite(agency_a)
    fake_fail_next("email", code="503", message="Service unavailable")

    # when the task runs, then it asks to be retried later
    with pytest.raises(Retry):
        email_send.apply(args=(KIND, invitation.pk), throw=True)
    assert emails_to(outbox, "new.agent@example.test") == []

    # when the retry runs
    assert email_send.apply(args=(KIND, invitation.pk)).get() == "sent"

    # then
    assert len(emails_to(outbox, "new.agent@example.test")) == 1


def test_a_refusal_is_not_retried_and_the_row_says_so(agency_a, outbox):
    # given the provider will never accept this email
    invitation = invite(agency_a)
    fake_fail_next("email", code="422", message="Invalid `to` field.")

    # when the task runs
    outcome = email_send.apply(args=(KIND, invitation.pk), throw=True).get()

    # then it gives up at once, and the row keeps the provider's code so no sweep retries it
    assert outcome == "refused"
    invitation.refresh_from_db()
    assert invitation.sent_at is None and invitation.send_error == "422"
    assert email_send.apply(args=(KIND, invitation.pk)).get() == "skipped"


def test_resend_gets_the_idempotency_key_and_its_errors_are_classified(agency_a, settings):
    # given Resend, stood in for at the HTTP transport
    settings.AQARI_EMAIL_PROVIDER = "resend"
    settings.RESEND_API_KEY = "re_test_key"
    invitation = invite(agency_a)
    calls = []

    def answer(status, body):
        def send(adapter, request, *args, **kwargs):
            calls.append(request)
            response = requests.Response()
            response.status_code = status
            response._content = json.dumps(body).encode()
            response.headers["Content-Type"] = "application/json"
            response.request, response.url = request, request.url
            return response

        return send

    # when Resend is rate limited, then the task will retry
    limited = answer(429, {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Slow"})
    with mock.patch.object(requests.adapters.HTTPAdapter, "send", limited):
        with pytest.raises(Retry):
            email_send.apply(args=(KIND, invitation.pk), throw=True)

    # when it accepts, then the same key went with both tries and the row is marked
    accepted = answer(200, {"id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"})
    with mock.patch.object(requests.adapters.HTTPAdapter, "send", accepted):
        assert email_send.apply(args=(KIND, invitation.pk)).get() == "sent"
    keys = {request.headers.get("Idempotency-Key") for request in calls}
    assert len(calls) == 2 and len(keys) == 1 and None not in keys
    assert f":{KIND}:{invitation.pk}" in keys.pop()

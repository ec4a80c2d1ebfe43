"""Email out: the recording fake, the Resend adapter, the production check, the dev outbox."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests
from django.core.checks import run_checks
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import connection
from django.test import override_settings

from core.checks import fakes_only_in_debug
from core.providers import fake_fail_next
from core.providers.email import (
    EmailSendError,
    FakeEmailProvider,
    OutgoingEmail,
    ResendEmailProvider,
)

RESEND_KEY = "re_test_0123456789"


@pytest.fixture
def outbox(outbox, settings):
    """pytest-django swaps EMAIL_BACKEND for locmem; these tests observe the provider."""
    settings.EMAIL_BACKEND = "core.providers.email.ProviderEmailBackend"
    yield outbox
    fake_fail_next("email", times=0)


def an_email(**fields) -> OutgoingEmail:
    return OutgoingEmail(
        **{
            "sender": "Aqari <no-reply@aqari.test>",
            "to": ("buyer@example.test",),
            "subject": "Your viewing",
            "text": "See you at 5.",
            **fields,
        }
    )


def test_fake_records_what_it_would_have_sent(outbox):
    # when
    message_id = FakeEmailProvider().send(an_email(html="<p>See you at 5.</p>"))

    # then
    [item] = outbox("email")
    assert item["id"] == message_id
    assert message_id.startswith("fake-email-")
    assert item["to"] == ["buyer@example.test"]
    assert item["subject"] == "Your viewing"
    assert item["text"] == "See you at 5."
    assert item["html"] == "<p>See you at 5.</p>"
    assert item["schema"] == connection.schema_name


def test_django_mail_goes_through_the_provider(outbox):
    # when
    sent = send_mail("Hello", "Body", None, ["Agent <agent@example.test>"])

    # then
    assert sent == 1
    [item] = outbox("email")
    assert item["to"] == ["Agent <agent@example.test>"]
    assert item["from"] == "Aqari <no-reply@aqari.localhost>"


def test_fake_fails_when_told_and_then_recovers(outbox):
    # given
    fake_fail_next("email", message="Resend is down")

    # when
    with pytest.raises(EmailSendError, match="Resend is down"):
        send_mail("First", "Body", None, ["buyer@example.test"])
    sent = send_mail("Second", "Body", None, ["buyer@example.test"])

    # then
    assert sent == 1
    assert [item["subject"] for item in outbox("email")] == ["Second"]


def test_fake_fails_a_given_number_of_times(outbox):
    # given
    fake_fail_next("email", times=2)
    provider = FakeEmailProvider()

    # when
    failures = 0
    for _ in range(3):
        try:
            provider.send(an_email())
        except EmailSendError:
            failures += 1

    # then
    assert failures == 2
    assert len(outbox("email")) == 1


def resend_response(status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.encoding = "utf-8"
    return response


@pytest.fixture
def resend_api():
    """Stands in for api.resend.com at the HTTP transport; records each request."""
    calls: list[requests.PreparedRequest] = []

    def send(adapter, request, *args, **kwargs):
        calls.append(request)
        response = resend_response(200, {"id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"})
        response.request = request
        response.url = request.url
        return response

    with mock.patch.object(requests.adapters.HTTPAdapter, "send", send):
        yield calls


def test_resend_adapter_posts_the_email_with_the_api_key(resend_api):
    # when
    message_id = ResendEmailProvider(RESEND_KEY).send(
        an_email(
            html="<p>See you at 5.</p>",
            reply_to=("agent@alpha.test",),
            headers={"X-Aqari-Lead": "12"},
        )
    )

    # then
    assert message_id == "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"
    [request] = resend_api
    assert request.method == "POST"
    assert request.url == "https://api.resend.com/emails"
    assert request.headers["Authorization"] == f"Bearer {RESEND_KEY}"
    assert json.loads(request.body) == {
        "from": "Aqari <no-reply@aqari.test>",
        "to": ["buyer@example.test"],
        "subject": "Your viewing",
        "text": "See you at 5.",
        "html": "<p>See you at 5.</p>",
        "reply_to": ["agent@alpha.test"],
        "headers": {"X-Aqari-Lead": "12"},
    }


def test_django_mail_is_sent_with_resend_when_configured(resend_api, settings):
    # given
    settings.EMAIL_BACKEND = "core.providers.email.ProviderEmailBackend"
    settings.AQARI_EMAIL_PROVIDER = "resend"
    settings.RESEND_API_KEY = RESEND_KEY
    message = EmailMultiAlternatives("Welcome", "Plain text", None, ["new@example.test"])
    message.attach_alternative("<p>Rich</p>", "text/html")

    # when
    sent = message.send()

    # then
    assert sent == 1
    [request] = resend_api
    payload = json.loads(request.body)
    assert payload["to"] == ["new@example.test"]
    assert payload["html"] == "<p>Rich</p>"
    assert payload["from"] == "Aqari <no-reply@aqari.localhost>"


def test_blind_copies_stay_blind(resend_api, settings, outbox):
    # given
    message = EmailMultiAlternatives(
        "Offer",
        "Body",
        None,
        ["buyer@example.test"],
        cc=["agent@alpha.test"],
        bcc=["audit@alpha.test"],
    )

    # when: the fake, then Resend
    message.send()
    settings.AQARI_EMAIL_PROVIDER = "resend"
    settings.RESEND_API_KEY = RESEND_KEY
    message.send()

    # then
    [recorded] = outbox("email")
    assert (recorded["to"], recorded["cc"], recorded["bcc"]) == (
        ["buyer@example.test"],
        ["agent@alpha.test"],
        ["audit@alpha.test"],
    )
    payload = json.loads(resend_api[0].body)
    assert payload["to"] == ["buyer@example.test"]
    assert payload["cc"] == ["agent@alpha.test"]
    assert payload["bcc"] == ["audit@alpha.test"]


def test_resend_error_reaches_the_caller(settings):
    # given
    settings.EMAIL_BACKEND = "core.providers.email.ProviderEmailBackend"
    settings.AQARI_EMAIL_PROVIDER = "resend"
    settings.RESEND_API_KEY = RESEND_KEY
    refused = resend_response(
        422, {"statusCode": 422, "name": "validation_error", "message": "Invalid `to` field."}
    )

    # when / then
    with mock.patch.object(requests.adapters.HTTPAdapter, "send", return_value=refused):
        with pytest.raises(Exception, match="Invalid `to` field"):
            send_mail("Hi", "Body", None, ["broken"])


def email_errors(errors) -> list[str]:
    return [error.id for error in errors if "AQARI_EMAIL_PROVIDER" in error.msg]


def test_check_refuses_the_fake_in_production():
    with override_settings(DEBUG=False, DEV_TOOLS=False, AQARI_EMAIL_PROVIDER="fake"):
        assert email_errors(fakes_only_in_debug(None)) == ["aqari.E001"]
        assert email_errors(run_checks()) == ["aqari.E001"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"DEBUG": True, "DEV_TOOLS": True, "AQARI_EMAIL_PROVIDER": "fake"},
        {"DEBUG": False, "DEV_TOOLS": True, "AQARI_EMAIL_PROVIDER": "fake"},
        {"DEBUG": False, "DEV_TOOLS": False, "AQARI_EMAIL_PROVIDER": "resend"},
    ],
    ids=["debug", "dev-tools", "resend"],
)
def test_check_is_quiet_otherwise(overrides):
    with override_settings(**overrides):
        assert email_errors(fakes_only_in_debug(None)) == []


def test_dev_outbox_shows_sent_mail_in_development(client_for, agency_a, agency_b, outbox):
    # given
    send_mail("Viewing on Sunday", "See you there.", None, ["buyer@example.test"])
    connection.set_tenant(agency_b.agency)
    send_mail("Bravo only", "Not for Alpha.", None, ["other@example.test"])
    connection.set_schema_to_public()

    # when
    with override_settings(DEV_TOOLS=True):
        response = client_for(agency_a, "agent").get("/dev/outbox/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Viewing on Sunday" in html
    assert "buyer@example.test" in html
    assert "Bravo only" not in html


def test_dev_outbox_is_not_there_without_dev_tools(client_for, agency_a, public_client, outbox):
    # given
    send_mail("Viewing on Sunday", "See you there.", None, ["buyer@example.test"])

    # when
    with override_settings(DEV_TOOLS=False):
        on_agency = client_for(agency_a, "admin").get("/dev/outbox/")
        on_platform = public_client.get("/dev/outbox/")

    # then
    assert on_agency.status_code == 404
    assert on_platform.status_code == 404
    assert "Viewing on Sunday" not in on_agency.content.decode()


def test_dev_outbox_is_for_signed_in_staff_only(client_for, agency_a, public_client, outbox):
    # given something was sent
    send_mail("Viewing on Sunday", "See you there.", None, ["buyer@example.test"])

    # when a signed-out visitor opens the outbox on the agency's host and on the platform's
    with override_settings(DEV_TOOLS=True):
        signed_out = client_for(agency_a).get("/dev/outbox/")
        public_signed_out = public_client.get("/dev/outbox/")

    # then they are sent to sign in, and see nothing
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]
    assert public_signed_out.status_code == 302
    assert "Viewing on Sunday" not in signed_out.content.decode()

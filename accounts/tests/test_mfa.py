"""An agency that requires two-factor authentication."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse
from django_redis import get_redis_connection

from conftest import PASSWORD
from tenants.models import Agency

APP_PAGES = ["/", "/leads/", "/inbox/", "/tasks/"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    redis = get_redis_connection("default")
    for key in redis.scan_iter(match="*:allauth:rl:*"):
        redis.delete(key)


@pytest.fixture
def mfa_required(agency_a):
    # Rolled back with the test's transaction; each request loads the agency afresh.
    Agency.objects.filter(pk=agency_a.agency.pk).update(require_mfa=True)
    return agency_a


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def email_confirmed(user) -> None:
    """As for anyone who joined through an emailed invitation."""
    EmailAddress.objects.filter(user=user).update(verified=True)


def sign_in(client, user) -> None:
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def open_totp_setup(client):
    """allauth asks for the password again before a second factor is added."""
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and response["Location"].startswith("/accounts/reauth"):
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    return response


@pytest.mark.parametrize("path", APP_PAGES)
def test_member_without_an_authenticator_is_sent_to_set_one_up(client_for, mfa_required, path):
    # given
    email_confirmed(mfa_required.users["agent"])
    client = client_for(mfa_required, "agent")

    # when
    response = client.get(path)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize(
    "path", ["/accounts/2fa/", "/accounts/password/change/", "/accounts/email/"]
)
def test_account_pages_stay_reachable_before_set_up(client_for, mfa_required, path):
    # given
    client = client_for(mfa_required, "manager")

    # when
    response = client.get(path)

    # then
    assert response.status_code == 200


def test_member_signs_in_sets_up_the_authenticator_and_works(client_for, mfa_required):
    # given
    user = mfa_required.users["agent"]
    email_confirmed(user)
    client = client_for(mfa_required)
    sign_in(client, user)
    assert client.get("/leads/")["Location"] == reverse("mfa_activate_totp")

    # when
    setup_page = open_totp_setup(client)
    secret = client.session[SECRET_SESSION_KEY]
    activated = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    # then
    assert setup_page.status_code == 200
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/leads/").status_code == 200


def test_member_with_an_unconfirmed_email_is_shown_how_to_get_there(
    client_for, mfa_required, outbox
):
    # given
    user = mfa_required.users["manager"]
    client = client_for(mfa_required)
    sign_in(client, user)

    # when
    response = client.get("/leads/", follow=True)

    # then
    assert response.redirect_chain == [(reverse("account_email"), 302)]
    assert "confirmed email address" in response.content.decode()

    # when
    client.post(reverse("account_email"), {"email": user.email, "action_send": ""})
    [sent] = [item for item in outbox("email") if user.email in item["to"]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", sent["text"]).group(0)
    client.post(urlsplit(link).path)

    # then
    assert client.get("/leads/")["Location"] == reverse("mfa_activate_totp")
    assert open_totp_setup(client).status_code == 200


def test_member_with_an_authenticator_gets_the_dashboard(client_for, mfa_required):
    # given
    TOTP.activate(mfa_required.users["agent"], generate_totp_secret())
    client = client_for(mfa_required, "agent")

    # when
    response = client.get("/")

    # then
    assert response.status_code == 200


def test_other_agencies_are_not_affected(client_for, mfa_required, agency_b):
    # when
    response = client_for(agency_b, "agent").get("/")

    # then
    assert response.status_code == 200


def test_admin_turns_the_requirement_on_and_off_in_settings(client_for, agency_a):
    # given
    admin = client_for(agency_a, "admin")
    TOTP.activate(agency_a.users["admin"], generate_totp_secret())
    email_confirmed(agency_a.users["agent"])

    # when
    turned_on = admin.post("/settings/", {"require_mfa": "on"})

    # then
    assert turned_on.status_code == 302
    assert Agency.objects.get(pk=agency_a.agency.pk).require_mfa is True
    assert "checked" in admin.get("/settings/").content.decode()
    assert client_for(agency_a, "agent").get("/")["Location"] == reverse("mfa_activate_totp")

    # when
    turned_off = admin.post("/settings/", {})

    # then
    assert turned_off.status_code == 302
    assert Agency.objects.get(pk=agency_a.agency.pk).require_mfa is False
    assert client_for(agency_a, "agent").get("/").status_code == 200


@pytest.mark.parametrize("role", ["manager", "agent", "privacy_officer"])
def test_only_the_admin_changes_the_requirement(client_for, agency_a, role):
    # when
    response = client_for(agency_a, role).post("/settings/", {"require_mfa": "on"})

    # then
    assert response.status_code == 403
    assert Agency.objects.get(pk=agency_a.agency.pk).require_mfa is False

"""Signing in on an agency's host and on the platform host."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_redis import get_redis_connection

from accounts import services
from conftest import PASSWORD

LOGIN = "/accounts/login/"
WRONG_CREDENTIALS = "The email address and/or password you specified are not correct."
TOO_MANY = "Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Forget earlier sign-in attempts from the test client's address.

    Only allauth's rate-limit counters are dropped (in every schema): clearing the whole cache
    would also empty the fake outbox and any queue another test run shares this Redis with.
    """
    redis = get_redis_connection("default")
    for key in redis.scan_iter(match="*:allauth:rl:*"):
        redis.delete(key)


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_in(client: Client, login: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": login, "password": password})


def test_member_signs_in_with_email_in_any_case(client_for, agency_a):
    # given
    client = client_for(agency_a)

    # when
    response = sign_in(client, "  Agent@ALPHA-Homes.test ")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(agency_a.users["agent"].pk)
    assert client.get("/leads/").status_code == 200


def test_member_of_another_agency_cannot_sign_in_here(client_for, agency_a, agency_b):
    # given
    client = client_for(agency_a)

    # when
    response = sign_in(client, agency_b.users["admin"].email)

    # then
    assert response.status_code == 200
    assert "not a member of this agency" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client_for, agency_a):
    # given
    client = client_for(agency_a)

    # when
    response = sign_in(client, agency_a.users["agent"].email, "not-the-password")

    # then
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.content.decode()
    assert signed_in_user_id(client) is None


def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(client_for, agency_a):
    # given
    client = client_for(agency_a)
    email = agency_a.users["manager"].email
    for _ in range(5):
        assert WRONG_CREDENTIALS in sign_in(client, email, "guess-again-123").content.decode()

    # when
    response = sign_in(client, email)

    # then
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert signed_in_user_id(client) is None


def test_platform_host_signs_in_platform_staff(public_client):
    # given
    services.user_create(email="ops@aqari.test", password=PASSWORD, is_staff=True)

    # when
    response = sign_in(public_client, "OPS@aqari.test")

    # then
    assert response.status_code == 302
    assert signed_in_user_id(public_client) is not None


def test_platform_host_refuses_agency_staff(public_client, agency_a):
    # when
    response = sign_in(public_client, agency_a.users["admin"].email)

    # then
    assert response.status_code == 200
    assert "This address is for platform staff" in response.content.decode()
    assert signed_in_user_id(public_client) is None


def test_password_reset_sends_a_link_to_this_agency(client_for, agency_a, outbox):
    # given
    client = client_for(agency_a)
    email = agency_a.users["agent"].email

    # when
    response = client.post("/accounts/password/reset/", {"email": email.upper()})

    # then
    assert response.status_code == 302
    [sent] = [item for item in outbox("email") if email in item["to"]]
    assert sent["schema"] == agency_a.schema_name
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", sent["text"])
    assert link, sent["text"]
    assert f"//{agency_a.host}" in link.group(0)

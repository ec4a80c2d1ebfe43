"""Inviting staff by email, and what following the link does."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import Invitation, Membership, User
from conftest import PASSWORD

LINK_RE = re.compile(r"https?://\S+/invitations/\S+/")
INVALID_LINK_TEXT = "This invitation link doesn"


def emails_to(outbox, address: str) -> list[dict]:
    return [item for item in outbox("email") if address in item["to"]]


def invite(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/settings/team/invite/", data)


def link_path(email: dict) -> str:
    match = LINK_RE.search(email["text"])
    assert match, email["text"]
    return urlsplit(match.group(0)).path


def open_invitation(fixture, *, email: str, role: str = "agent") -> tuple[Invitation, str]:
    """An invitation made by the agency's admin, and the path its link opens."""
    with schema_context(fixture.schema_name):
        admin = Membership.objects.get(user_id=fixture.users["admin"].pk)
        invitation = services.invitation_create(actor=admin, email=email, role=role)
        return invitation, f"/invitations/{services.invitation_link_token(invitation)}/"


def invitations_to(fixture, email: str) -> int:
    with schema_context(fixture.schema_name):
        return Invitation.objects.filter(email=email).count()


def test_admin_invites_by_email_and_the_link_works(
    client_for, agency_a, outbox, django_capture_on_commit_callbacks
):
    # given
    admin = client_for(agency_a, "admin")

    # when
    response = invite(
        admin, django_capture_on_commit_callbacks, email="Noor@Example.test", role="manager"
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == "/settings/team/"
    [email] = emails_to(outbox, "noor@example.test")
    assert "Alpha Homes" in email["subject"]
    # plain text: nothing HTML-escaped
    assert "You're invited" in email["subject"] and "weren't expecting" in email["text"]
    assert "Manager" in email["text"]
    assert f"//{agency_a.host}" in email["text"]
    page = client_for(agency_a).get(link_path(email))
    assert page.status_code == 200
    assert "noor@example.test" in page.content.decode()
    team = admin.get("/settings/team/").content.decode()
    assert "noor@example.test" in team


def test_new_person_accepts_and_is_signed_in_with_the_invited_role(client_for, agency_a):
    # given
    _, path = open_invitation(agency_a, email="sami@example.test", role="manager")
    visitor = client_for(agency_a)

    # when
    response = visitor.post(
        path, {"full_name": "Sami Khoury", "password1": PASSWORD, "password2": PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="sami@example.test")
    assert user.full_name == "Sami Khoury"
    assert user.check_password(PASSWORD)
    with schema_context(agency_a.schema_name):
        assert Membership.objects.get(user_id=user.pk).role == "manager"
    dashboard = visitor.get("/")
    assert dashboard.status_code == 200
    assert "Sami Khoury" in dashboard.content.decode()
    assert visitor.get("/reports/").status_code == 200
    assert client_for(agency_a).get(path).status_code == 404


def test_existing_account_signed_in_with_the_same_email_joins(client_for, agency_a, agency_b):
    # given
    person = agency_b.users["agent"]
    _, path = open_invitation(agency_a, email=person.email, role="agent")
    visitor = client_for(agency_a)
    visitor.force_login(person, backend="allauth.account.auth_backends.AuthenticationBackend")
    assert visitor.get("/").status_code == 403  # not a member of Alpha Homes yet

    # when
    response = visitor.post(path)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert User.objects.filter(email=person.email).count() == 1
    with schema_context(agency_a.schema_name):
        assert Membership.objects.get(user_id=person.pk).role == "agent"
    with schema_context(agency_b.schema_name):
        assert Membership.objects.get(user_id=person.pk).role == "agent"
    assert visitor.get("/leads/").status_code == 200


def test_existing_account_signed_out_is_asked_to_sign_in_first(client_for, agency_a, agency_b):
    # given
    person = agency_b.users["manager"]
    _, path = open_invitation(agency_a, email=person.email)

    # when
    page = client_for(agency_a).get(path)
    response = client_for(agency_a).post(path)

    # then
    assert page.status_code == 200
    assert "/accounts/login/?next=" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    with schema_context(agency_a.schema_name):
        assert not Membership.objects.filter(user_id=person.pk).exists()


def test_someone_else_signed_in_cannot_take_the_invitation(client_for, agency_a, agency_b):
    # given
    invited, intruder = agency_b.users["manager"], agency_b.users["agent"]
    _, path = open_invitation(agency_a, email=invited.email)
    client = client_for(agency_a)
    client.force_login(intruder, backend="allauth.account.auth_backends.AuthenticationBackend")

    # when
    response = client.post(path)

    # then
    assert response.status_code == 400
    assert "This invitation was sent to another email address" in response.content.decode()
    with schema_context(agency_a.schema_name):
        assert not Membership.objects.filter(user_id__in=[invited.pk, intruder.pk]).exists()
    assert client_for(agency_a).get(path).status_code == 200  # still open for the invitee


def _expire(invitation: Invitation, fixture) -> None:
    with schema_context(fixture.schema_name):
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )


def _revoke(invitation: Invitation, fixture, client_for) -> None:
    admin = client_for(fixture, "admin")
    response = admin.post(f"/settings/team/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    assert "lina@example.test" not in admin.get("/settings/team/").content.decode()


@pytest.mark.parametrize("spoil", ["expired", "revoked", "tampered", "other_agency"])
def test_a_link_that_no_longer_works_says_so_and_creates_nothing(
    client_for, agency_a, agency_b, spoil
):
    # given
    invitation, path = open_invitation(agency_a, email="lina@example.test")
    host = agency_a
    if spoil == "expired":
        _expire(invitation, agency_a)
    elif spoil == "revoked":
        _revoke(invitation, agency_a, client_for)
    elif spoil == "tampered":
        token = path.split("/")[2]
        path = f"/invitations/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/"
    else:
        host = agency_b
    visitor = client_for(host)

    # when
    page = visitor.get(path)
    response = visitor.post(
        path, {"full_name": "Lina", "password1": PASSWORD, "password2": PASSWORD}
    )

    # then
    for result in (page, response):
        assert result.status_code == 404
        assert INVALID_LINK_TEXT in result.content.decode()
    assert not User.objects.filter(email="lina@example.test").exists()
    with schema_context(host.schema_name):
        assert Membership.objects.count() == 4


@pytest.mark.parametrize("role", ["manager", "agent", "privacy_officer"])
def test_only_the_admin_can_invite(
    client_for, agency_a, outbox, django_capture_on_commit_callbacks, role
):
    # given
    client = client_for(agency_a, role)

    # when
    response = invite(
        client, django_capture_on_commit_callbacks, email="zaid@example.test", role="admin"
    )

    # then
    assert response.status_code == 403
    assert invitations_to(agency_a, "zaid@example.test") == 0
    assert emails_to(outbox, "zaid@example.test") == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": "agent"}, "email", "Enter a valid email address."),
        ({"email": "omar@example.test", "role": "owner"}, "role", "Select a valid choice."),
        ({"email": "", "role": "agent"}, "email", "This field is required."),
        (
            {"email": "AGENT@alpha-homes.test", "role": "agent"},
            "email",
            "already a member of this agency",
        ),
    ],
    ids=["invalid-email", "unknown-role", "missing-email", "existing-member"],
)
def test_bad_invitation_input_is_refused_with_a_field_message(
    client_for, agency_a, outbox, django_capture_on_commit_callbacks, data, field, message
):
    # given
    admin = client_for(agency_a, "admin")
    with schema_context(agency_a.schema_name):
        before = Invitation.objects.count()

    # when
    response = invite(admin, django_capture_on_commit_callbacks, **data)

    # then
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(rf'id="id_{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert error, html
    assert message in error.group(1)
    with schema_context(agency_a.schema_name):
        assert Invitation.objects.count() == before
    if data["email"]:
        assert emails_to(outbox, data["email"].lower()) == []


@pytest.mark.parametrize(
    ("password1", "password2", "field", "message"),
    [
        ("short", "short", "password1", "too short"),
        ("password1234", "password1234", "password1", "too common"),
        ("1234567890123", "1234567890123", "password1", "entirely numeric"),
        (PASSWORD, PASSWORD + "x", "password2", "The two passwords differ"),
    ],
    ids=["too-short", "common", "numeric", "mismatch"],
)
def test_weak_or_mismatched_password_on_accept_is_explained(
    client_for, agency_a, password1, password2, field, message
):
    # given
    _, path = open_invitation(agency_a, email="rami@example.test")

    # when
    response = client_for(agency_a).post(
        path, {"full_name": "Rami Aziz", "password1": password1, "password2": password2}
    )

    # then
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(rf'id="id_{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert error, html
    assert message in error.group(1)
    assert not User.objects.filter(email="rami@example.test").exists()
    assert client_for(agency_a).get(path).status_code == 200  # still open


def test_invitation_from_the_htmx_form_reloads_the_team_page(
    client_for, agency_a, outbox, django_capture_on_commit_callbacks
):
    # given
    admin = client_for(agency_a, "admin")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/settings/team/invite/",
            {"email": "dana@example.test", "role": "agent"},
            HTTP_HX_REQUEST="true",
        )

    # then
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/settings/team/"
    assert "<html" not in response.content.decode()
    assert len(emails_to(outbox, "dana@example.test")) == 1
    assert "Invitation sent" in admin.get("/settings/team/").content.decode()


def test_htmx_form_with_bad_input_comes_back_with_its_errors(client_for, agency_a):
    # when
    response = client_for(agency_a, "admin").post(
        "/settings/team/invite/",
        {"email": "not-an-email", "role": "agent"},
        HTTP_HX_REQUEST="true",
    )

    # then: htmx swaps only 2xx responses
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card card-pad" id="invite-form">')
    assert "Enter a valid email address." in html
    assert invitations_to(agency_a, "not-an-email") == 0

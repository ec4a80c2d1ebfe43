"""`manage.py create_agency`, and what a paused or closed agency's host shows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django_tenants.utils import schema_context, schema_exists

from accounts.models import Membership, User
from conftest import PASSWORD
from tenants.models import Agency, Domain


def create_agency(slug: str, **options) -> str:
    options = {
        "name": "Cedar Estates",
        "admin_email": "Founder@Cedar.test",
        "admin_password": PASSWORD,
        "admin_name": "Maya Cedar",
        **options,
    }
    out = StringIO()
    call_command("create_agency", slug, stdout=out, **options)
    return out.getvalue()


def assert_nothing_created(slug: str, email: str = "founder@cedar.test") -> None:
    assert not Agency.objects.filter(slug=slug).exists()
    assert not Domain.objects.filter(domain=f"{slug}.localhost").exists()
    assert not schema_exists("agency_" + slug.replace("-", "_"))
    assert not User.objects.filter(email__iexact=email).exists()


def test_creates_the_agency_its_host_schema_and_first_admin(db, two_agencies):
    # when
    output = create_agency("cedar-estates")

    # then
    assert "http://cedar-estates.localhost:8000/" in output
    agency = Agency.objects.get(slug="cedar-estates")
    assert agency.name == "Cedar Estates"
    assert agency.status == Agency.Status.ACTIVE
    assert agency.schema_name == "agency_cedar_estates"
    assert Domain.objects.get(tenant=agency).domain == "cedar-estates.localhost"
    assert schema_exists("agency_cedar_estates")
    admin = User.objects.get(email="founder@cedar.test")
    assert admin.full_name == "Maya Cedar"
    assert admin.check_password(PASSWORD)
    with schema_context(agency.schema_name):
        assert [(m.user_id, m.role) for m in Membership.objects.all()] == [(admin.pk, "admin")]


def test_the_new_admin_signs_in_on_the_new_host(db, two_agencies):
    # given
    from django.test import Client

    create_agency("cedar-estates")
    client = Client(HTTP_HOST="cedar-estates.localhost")

    # when
    response = client.post(
        "/accounts/login/", {"login": "founder@cedar.test", "password": PASSWORD}
    )

    # then
    assert response.status_code == 302
    team = client.get("/settings/team/")
    assert team.status_code == 200
    assert "founder@cedar.test" in team.content.decode()
    assert "Alpha Homes" not in team.content.decode()


def test_schema_creation_rolls_back_with_the_transaction(db, two_agencies):
    """Why these tests need no transactional_db: PostgreSQL DDL is transactional, so the
    schema a test creates disappears with the test's own rollback."""

    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        create_agency("cedar-estates")
        assert schema_exists("agency_cedar_estates")
        raise RuntimeError("roll back")

    # then
    assert_nothing_created("cedar-estates")


@pytest.mark.parametrize(
    ("slug", "options", "message"),
    [
        ("Cedar Estates!", {}, "slug: Use 3 to 32 lowercase letters"),
        ("9cedar", {}, "slug: Use 3 to 32 lowercase letters"),
        ("cedar-", {}, "slug: Use 3 to 32 lowercase letters"),
        ("ce", {}, "slug: Use 3 to 32 lowercase letters"),
        ("c" * 33, {}, "slug: Use 3 to 32 lowercase letters"),
        ("admin", {}, "slug: This address is reserved. Choose another."),
        ("agency-template", {}, "slug: This address is reserved. Choose another."),
        ("pg-cedar", {}, "slug: This address is reserved. Choose another."),
        ("alpha-homes", {}, "slug: The address “alpha-homes” is taken. Choose another."),
        ("cedar-estates", {"admin_password": "short"}, "admin-password: This password is too"),
        ("cedar-estates", {"admin_password": "password123"}, "too common"),
        (
            "cedar-estates",
            {"admin_email": "founder-at-cedar"},
            "admin-email: Enter a valid email address for the first admin.",
        ),
        ("cedar-estates", {"name": "  "}, "name: Give the agency a name."),
    ],
)
def test_bad_input_is_refused_in_one_line_and_creates_nothing(
    db, two_agencies, slug, options, message
):
    # given
    agencies_before = Agency.objects.count()
    email = options.get("admin_email", "founder@cedar.test")

    # when
    with pytest.raises(CommandError) as refused:
        create_agency(slug, **options)

    # then
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert Agency.objects.count() == agencies_before
    if slug != "alpha-homes":
        assert_nothing_created(slug, email)


def test_existing_person_becomes_the_admin_of_a_second_agency(db, two_agencies):
    # given
    person = two_agencies["a"].users["manager"]

    # when
    create_agency("cedar-estates", admin_email=person.email.upper(), admin_password="")

    # then
    assert User.objects.filter(email=person.email).count() == 1
    with schema_context("agency_cedar_estates"):
        assert Membership.objects.get(user_id=person.pk).role == "admin"


@pytest.fixture
def suspended(agency_b):
    Agency.objects.filter(pk=agency_b.agency.pk).update(status=Agency.Status.SUSPENDED)
    return agency_b


@pytest.fixture
def terminated(agency_b):
    Agency.objects.filter(pk=agency_b.agency.pk).update(status=Agency.Status.TERMINATED)
    return agency_b


PAUSED = "account is paused"
CLOSED = "This agency has closed its account"


@pytest.mark.parametrize("role", [None, "admin", "agent"])
@pytest.mark.parametrize("path", ["/", "/leads/", "/settings/team/", "/accounts/login/"])
def test_suspended_agency_shows_the_paused_page(client_for, suspended, role, path):
    # when
    response = client_for(suspended, role).get(path)

    # then
    assert response.status_code == 403
    html = response.content.decode()
    assert PAUSED in html
    assert "Bravo Realty" in html


def test_suspended_agency_refuses_sign_in(client_for, suspended):
    # given
    client = client_for(suspended)

    # when
    response = client.post(
        "/accounts/login/", {"login": suspended.users["admin"].email, "password": PASSWORD}
    )

    # then
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", [None, "admin"])
def test_terminated_agency_says_it_closed(client_for, terminated, role):
    # when
    response = client_for(terminated, role).get("/")

    # then
    assert response.status_code == 403
    html = response.content.decode()
    assert CLOSED in html
    assert PAUSED not in html


def test_a_paused_agency_does_not_affect_the_others(client_for, suspended, agency_a):
    # when
    response = client_for(agency_a, "agent").get("/")

    # then
    assert response.status_code == 200

"""Fixtures every test module can use: two agencies, A and B, each with a user of every role.

The agencies are created once per test session (committed, in their own schemas); each test
then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client

ROLES = ("admin", "manager", "agent", "privacy_officer")
PASSWORD = "correct-horse-battery-staple"


@dataclass
class AgencyFixture:
    agency: object
    host: str
    users: dict = field(default_factory=dict)  # role -> User

    @property
    def schema_name(self) -> str:
        return self.agency.schema_name

    def member(self, role: str):
        """The membership of this agency's user of that role (read in the agency's schema)."""
        from django_tenants.utils import schema_context

        from accounts.models import Membership

        with schema_context(self.schema_name):
            return Membership.objects.get(user_id=self.users[role].pk)


def _make_agency(slug: str, name: str):
    from django_tenants.utils import schema_context

    from accounts import services as account_services
    from tenants.selectors import agency_host
    from tenants.services import agency_create

    agency = agency_create(
        slug=slug,
        name=name,
        admin_email=f"admin@{slug}.test",
        admin_password=PASSWORD,
        admin_name=f"{name} Admin",
    )
    fixture = AgencyFixture(agency=agency, host=agency_host(agency))
    from accounts.models import User

    fixture.users["admin"] = User.objects.get(email=f"admin@{slug}.test")
    with schema_context(agency.schema_name):
        for role in ROLES[1:]:
            user = account_services.user_create(
                email=f"{role.replace('_', '-')}@{slug}.test",
                password=PASSWORD,
                full_name=f"{name} {role.replace('_', ' ').title()}",
            )
            account_services.membership_create(user=user, role=role)
            fixture.users[role] = user
    connection.set_schema_to_public()
    return fixture


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """Each test run gets its own database, so two runs at once on one server don't collide."""
    from django.conf import settings

    test = settings.DATABASES["default"].setdefault("TEST", {})
    base = test.get("NAME") or "test_" + settings.DATABASES["default"]["NAME"]
    test["NAME"] = f"{base}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tenants.provisioning import public_tenant_ensure, template_schema_migrate

    with django_db_blocker.unblock():
        public_tenant_ensure()
        template_schema_migrate()
    yield


@pytest.fixture(scope="session")
def two_agencies(django_db_setup, django_db_blocker) -> dict[str, AgencyFixture]:
    # pytest-django creates the test database only when some collected test is marked for
    # database access; never let the shared fixtures write anywhere else.
    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail("two_agencies needs a test marked with django_db (or the db fixture).")
    with django_db_blocker.unblock():
        agencies = {
            "a": _make_agency("alpha-homes", "Alpha Homes"),
            "b": _make_agency("bravo-realty", "Bravo Realty"),
        }
    return agencies


@pytest.fixture
def agency_a(two_agencies, db) -> Iterator[AgencyFixture]:
    fixture = two_agencies["a"]
    connection.set_tenant(fixture.agency)
    yield fixture
    connection.set_schema_to_public()


@pytest.fixture
def agency_b(two_agencies, db) -> AgencyFixture:
    return two_agencies["b"]


@pytest.fixture
def client_for(two_agencies, db):
    """`client_for(agency_fixture, role)`: a client on that agency's host, signed in as the
    agency's user of that role (role=None: signed out)."""

    def make(fixture: AgencyFixture, role: str | None = None) -> Client:
        client = Client(HTTP_HOST=fixture.host)
        if role is not None:
            client.force_login(
                fixture.users[role], backend="allauth.account.auth_backends.AuthenticationBackend"
            )
        return client

    return make


@pytest.fixture
def public_client(db) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.AQARI_BASE_DOMAIN)


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _mail_through_the_email_provider(settings):
    """pytest-django swaps EMAIL_BACKEND for locmem in every test; ours observe what the email
    provider would have sent, as the dev outbox page shows it."""
    settings.EMAIL_BACKEND = "core.providers.email.ProviderEmailBackend"


@pytest.fixture
def outbox():
    """The fake providers' outbox, emptied before the test."""
    from core.providers import fake_outbox, fake_outbox_clear

    fake_outbox_clear()
    return fake_outbox

"""Two agencies side by side: nothing of one is ever seen, stored or cached in the other."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from accounts.models import Membership
from core.providers.fakes import fake_record


def no_argument_get_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every agency-host URL that takes no arguments, as a path."""
    resolver = resolver or get_resolver("aqari.urls_tenant")
    paths = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if entry.pattern.converters or "<" in route or "(?P" in route:
            continue
        if isinstance(entry, URLResolver):
            paths += no_argument_get_paths(entry, route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + route.lstrip("^").rstrip("$").replace("\\", ""))
    return paths


def markers_of(fixture) -> list[str]:
    agency = fixture.agency
    markers = [agency.name, agency.slug, agency.schema_name, fixture.host]
    for user in fixture.users.values():
        markers += [user.email, user.full_name]
    return markers


@pytest.fixture
def with_something_to_leak(agency_a, agency_b):
    """Each agency has sent an email and has an open invitation, so its pages have content."""
    from accounts import services

    for fixture in (agency_a, agency_b):
        with schema_context(fixture.schema_name):
            admin = Membership.objects.get(user_id=fixture.users["admin"].pk)
            services.invitation_create(
                actor=admin, email=f"invitee@{fixture.agency.slug}.test", role="agent"
            )
            fake_record(
                "email",
                {
                    "to": [fixture.users["agent"].email],
                    "subject": f"Welcome to {fixture.agency.name}",
                    "text": f"Hello {fixture.users['agent'].full_name}",
                },
            )
    connection.set_schema_to_public()
    return {"a": agency_a, "b": agency_b}


@pytest.mark.parametrize(("viewer", "other"), [("a", "b"), ("b", "a")])
@pytest.mark.parametrize("role", ["admin", "agent"])
def test_no_page_shows_the_other_agency(client_for, with_something_to_leak, viewer, other, role):
    # given
    own, foreign = with_something_to_leak[viewer], with_something_to_leak[other]
    client = client_for(own, role)
    foreign_markers = markers_of(foreign) + [f"invitee@{foreign.agency.slug}.test"]
    paths = no_argument_get_paths()
    assert "/settings/team/" in paths and "/dev/outbox/" in paths
    leaks = []

    # when
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        html = response.content.decode(errors="replace")
        leaks += [f"{path}: {marker}" for marker in foreign_markers if marker in html]

    # then
    assert leaks == []


def test_the_own_agency_is_shown(client_for, with_something_to_leak):
    # the check above would pass on empty pages; these show the agency's own data
    client = client_for(with_something_to_leak["a"], "admin")

    team = client.get("/settings/team/").content.decode()
    outbox = client.get("/dev/outbox/").content.decode()

    assert "invitee@alpha-homes.test" in team
    assert "Alpha Homes Agent" in team
    assert "Welcome to Alpha Homes" in outbox


def test_a_member_of_one_agency_is_not_a_member_of_the_other(client_for, agency_a, agency_b):
    # given
    a_admin = agency_a.users["admin"]

    # when
    with schema_context(agency_b.schema_name):
        in_b = Membership.objects.filter(user_id=a_admin.pk).exists()
        b_members = set(Membership.objects.values_list("user_id", flat=True))
    response = client_for(agency_b, None)
    response.force_login(a_admin, backend="allauth.account.auth_backends.AuthenticationBackend")
    page = response.get("/")

    # then
    assert in_b is False
    assert b_members == {user.pk for user in agency_b.users.values()}
    assert page.status_code == 403
    assert "Bravo Realty Agent" not in page.content.decode()


def test_cache_entries_stay_in_their_agency(agency_a, agency_b):
    # given
    with schema_context(agency_a.schema_name):
        cache.set("isolation:greeting", "from alpha", 30)

    # when
    with schema_context(agency_b.schema_name):
        seen_in_b = cache.get("isolation:greeting")
        cache.set("isolation:greeting", "from bravo", 30)
    with schema_context(agency_a.schema_name):
        seen_in_a = cache.get("isolation:greeting")
        cache.delete("isolation:greeting")
    with schema_context(agency_b.schema_name):
        cache.delete("isolation:greeting")

    # then
    assert seen_in_b is None
    assert seen_in_a == "from alpha"

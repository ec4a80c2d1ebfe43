"""Who may open which staff page, and that every staff page says so."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from accounts.roles import PAGE_ROLES

# Each page of PAGE_ROLES that has a URL of its own on the agency host.
PAGE_URLS = {
    "dashboard": "/",
    "leads": "/leads/",
    "inbox": "/inbox/",
    "tasks": "/tasks/",
    "reports": "/reports/",
    "settings": "/settings/",
    "team": "/settings/team/",
    "privacy": "/privacy/",
}

# Agency-host URLs that are not staff pages, and why.
NOT_STAFF_PAGES = {
    "invitation_accept",  # opened by people who are not members yet
    "language_switch",  # the language picker works signed out too
    "health",  # load balancer probe
    "dev_outbox",  # development only, 404 otherwise
}
NOT_STAFF_PREFIXES = (
    "accounts/",  # allauth: sign in, password, two-factor set-up
    "capture/",  # website forms post leads here with a form token
    "api/v1/",  # API-key authentication, no session
)


def tenant_url_patterns(resolver=None, prefix: str = ""):
    """(route, pattern) for every URL on the agency host, includes flattened."""
    resolver = resolver or get_resolver("aqari.urls_tenant")
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from tenant_url_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


@pytest.mark.parametrize("page", sorted(PAGE_URLS))
def test_anonymous_visitor_is_sent_to_sign_in(client_for, two_agencies, page):
    # given
    client = client_for(two_agencies["a"])

    # when
    response = client.get(PAGE_URLS[page])

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("page", sorted(PAGE_URLS))
def test_each_role_opens_only_its_pages(client_for, two_agencies, page, role):
    # given
    client = client_for(two_agencies["a"], role)

    # when
    response = client.get(PAGE_URLS[page])

    # then
    expected = 200 if role in PAGE_ROLES[page] else 403
    assert response.status_code == expected, f"{role} on {page}"


def staff_paths_without_arguments() -> dict[str, str]:
    """path -> page, for every staff URL on the agency host that takes no arguments."""
    return {
        "/" + route: pattern.callback.required_page
        for route, pattern in tenant_url_patterns()
        if not pattern.pattern.converters and hasattr(pattern.callback, "required_page")
    }


def test_the_pages_above_are_the_agency_hosts_pages():
    # when
    discovered = staff_paths_without_arguments()

    # then
    assert {path: discovered.get(path) for path in PAGE_URLS.values()} == {
        path: page for page, path in PAGE_URLS.items()
    }


@pytest.mark.parametrize("role", [None, *Role.values])
def test_every_staff_url_without_arguments_follows_the_role_table(client_for, two_agencies, role):
    # given: also the pages added after the table above was written
    client = client_for(two_agencies["a"], role)
    wrong = []

    # when
    for path, page in sorted(staff_paths_without_arguments().items()):
        status = client.get(path).status_code
        if status == 405:  # a form's POST target
            continue
        if role is None:
            expected_ok = status == 302
        else:
            expected_ok = (status == 403) == (role not in PAGE_ROLES[page])
        if not expected_ok:
            wrong.append(f"{path} ({page}): {status}")

    # then
    assert wrong == []


def test_every_staff_url_checks_the_role():
    # given
    unchecked = []

    # when
    for route, pattern in tenant_url_patterns():
        if pattern.name in NOT_STAFF_PAGES or route.startswith(NOT_STAFF_PREFIXES):
            continue
        if getattr(pattern.callback, "required_page", None) not in PAGE_ROLES:
            unchecked.append(f"/{route} ({pattern.name})")

    # then
    assert unchecked == [], "Decorate these views with accounts.roles.page_requires"

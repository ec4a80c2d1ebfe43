"""Every role check in Aqari lives here: which role may open which page or do which thing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role

ALL_ROLES = frozenset(Role.values)
STAFF_WHO_WORK_LEADS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})

PAGE_ROLES: dict[str, frozenset[str]] = {
    "dashboard": ALL_ROLES,
    "profile": ALL_ROLES,
    "leads": STAFF_WHO_WORK_LEADS,
    "lead_imports": frozenset({Role.ADMIN, Role.MANAGER}),
    "inbox": STAFF_WHO_WORK_LEADS,
    "tasks": STAFF_WHO_WORK_LEADS,
    "reports": frozenset({Role.ADMIN, Role.MANAGER}),
    "settings": frozenset({Role.ADMIN}),
    "team": frozenset({Role.ADMIN}),
    "capture_forms": frozenset({Role.ADMIN}),
    "privacy": frozenset({Role.PRIVACY_OFFICER}),
    "attendance": STAFF_WHO_WORK_LEADS,
    "assignment": frozenset({Role.ADMIN, Role.MANAGER}),
    "api_keys": frozenset({Role.ADMIN}),
}

# Actions that are not a whole page.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "invite_staff": frozenset({Role.ADMIN}),
    "change_agency_settings": frozenset({Role.ADMIN}),
    "see_all_leads": frozenset({Role.ADMIN, Role.MANAGER}),
    "manage_capture_forms": frozenset({Role.ADMIN}),
    "assign_leads": frozenset({Role.ADMIN, Role.MANAGER}),
    "manage_assignment_rules": frozenset({Role.ADMIN, Role.MANAGER}),
    "see_attendance": frozenset({Role.ADMIN, Role.MANAGER}),
    "check_in": STAFF_WHO_WORK_LEADS,
    "manage_api_keys": frozenset({Role.ADMIN}),
    "import_leads": frozenset({Role.ADMIN, Role.MANAGER}),
    "manage_pipeline": frozenset({Role.ADMIN}),
    "export_leads": frozenset({Role.ADMIN, Role.MANAGER}),
}


def can_open(role: str | None, page: str) -> bool:
    return role is not None and role in PAGE_ROLES[page]


def can(role: str | None, action: str) -> bool:
    return role is not None and role in ACTION_ROLES[action]


def visible_pages(role: str | None) -> set[str]:
    return {page for page, roles in PAGE_ROLES.items() if role in roles}


def page_requires(page: str) -> Callable:
    """View decorator: signed in, a member of this agency, and a role that may open `page`."""
    if page not in PAGE_ROLES:
        raise KeyError(f"Unknown page {page!r}: add it to PAGE_ROLES.")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            membership = getattr(request, "membership", None)
            if membership is None:
                return render(request, "accounts/not_a_member.html", status=403)
            if not can_open(membership.role, page):
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        wrapped.required_page = page  # type: ignore[attr-defined]
        return wrapped

    return decorator

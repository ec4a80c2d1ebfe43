"""Per-request staff context on an agency host: membership, language, required MFA."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from accounts import selectors

# Paths a signed-in member may reach before setting up a required second factor.
MFA_SETUP_ALLOWED_PREFIXES = (
    "/accounts/",
    "/static/",
    "/i18n/",
    "/language/",
    "/invitations/",
    "/dev/",
)


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        on_agency_host = connection.schema_name != get_public_schema_name()
        user = getattr(request, "user", None)
        if on_agency_host and user is not None and user.is_authenticated:
            request.membership = selectors.membership_for_user(user_id=user.pk)
        self._activate_language(request)
        self._activate_time_zone(request)
        if request.membership is not None and self._mfa_setup_needed(request):
            if not selectors.user_can_add_authenticator(user_id=request.user.pk):
                # allauth would bounce the set-up page to its index with no way forward.
                messages.info(
                    request,
                    _(
                        "Your agency requires two-factor authentication, and it can be set up "
                        "only on a confirmed email address. Send yourself the confirmation "
                        "email, follow its link, then set up your authenticator app."
                    ),
                )
                return redirect("account_email")
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _activate_time_zone(request: HttpRequest) -> None:
        """Times on an agency's pages are the agency's own local time."""
        agency = getattr(request, "tenant", None)
        name = getattr(agency, "timezone", None)
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
                return
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        timezone.deactivate()

    @staticmethod
    def _activate_language(request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated and user.language:
            language = user.language
        elif request.COOKIES.get("aqari_language") in ("en", "ar"):
            language = request.COOKIES["aqari_language"]
        elif getattr(request, "tenant", None) is not None and hasattr(
            request.tenant, "default_language"
        ):
            language = request.tenant.default_language
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language

    @staticmethod
    def _mfa_setup_needed(request: HttpRequest) -> bool:
        if not getattr(request.tenant, "require_mfa", False):
            return False
        if request.path.startswith(MFA_SETUP_ALLOWED_PREFIXES):
            return False
        return not selectors.user_has_totp(user_id=request.user.pk)

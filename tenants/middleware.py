from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.models import Agency

# A suspended agency's staff may still reach the static files and sign out.
ALWAYS_ALLOWED_PREFIXES = ("/static/", "/accounts/logout/", "/language/")


class AgencyStatusMiddleware:
    """A suspended or terminated agency's host shows a clear page, never the app."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agency = getattr(request, "tenant", None)
        if (
            isinstance(agency, Agency)
            and agency.schema_name != "public"
            and not agency.is_active
            and not request.path.startswith(ALWAYS_ALLOWED_PREFIXES)
        ):
            return render(
                request, "tenants/agency_unavailable.html", {"agency": agency}, status=403
            )
        return self.get_response(request)

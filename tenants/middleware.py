from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tenants.models import Agency

# A suspended agency's staff may still reach the static files and sign out.
ALWAYS_ALLOWED_PREFIXES = ("/static/", "/accounts/logout/", "/language/")
# Machines (API clients, website forms) get JSON, like every other error they see.
JSON_PREFIXES = ("/api/", "/capture/")


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
            if request.path.startswith(JSON_PREFIXES):
                return JsonResponse(
                    {
                        "error": {
                            "code": f"agency_{agency.status}",
                            "message": "This agency's account is not active.",
                        }
                    },
                    status=403,
                )
            return render(
                request, "tenants/agency_unavailable.html", {"agency": agency}, status=403
            )
        return self.get_response(request)

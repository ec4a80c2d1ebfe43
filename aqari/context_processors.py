from django.db import connection
from django.utils import translation

from accounts.roles import visible_pages


def shell(request):
    membership = getattr(request, "membership", None)
    agency = getattr(request, "tenant", None)
    on_agency_host = connection.schema_name != "public"
    return {
        "agency": agency if on_agency_host else None,
        "membership": membership,
        "nav_pages": visible_pages(membership.role) if membership else set(),
        "text_direction": "rtl" if translation.get_language_bidi() else "ltr",
    }

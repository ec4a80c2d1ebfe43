"""`/api/v1/` on an agency's host. The trailing slash is optional: API clients rarely expect
a redirect, and a POST cannot follow one."""

from django.urls import re_path

from leads.api import views

urlpatterns = [
    re_path(r"^leads/?$", views.leads_collection, name="api_leads"),
    re_path(r"^leads/(?P<lead_id>[0-9]{1,18})/?$", views.lead_item, name="api_lead"),
    re_path(r"^openapi\.json$", views.openapi, name="api_openapi"),
    # Anything else under /api/v1/ is a JSON 404, not the staff app's HTML page.
    re_path(r"^(?P<rest>.*)$", views.not_found, name="api_not_found"),
]

"""Every page of leads on an agency's host, mounted once by aqari/urls_tenant.py. Each area's
URLs live with its views; the prefixes are here. (The Meta webhook is on the platform host:
aqari/urls_public.py mounts leads.meta.urls.)"""

from django.urls import include, path

urlpatterns = [
    path("", include("leads.dashboard.urls")),
    path("leads/import/", include("leads.imports.urls")),
    path("leads/pipeline/", include("leads.stages.urls")),
    path("leads/", include("leads.lists.urls")),
    path("leads/", include("leads.lead_page.urls")),
    path("capture/", include("leads.capture.urls")),
    path("api/v1/", include("leads.api.urls")),
    # The Tasks page: a lead's follow-ups. Users know it as "Tasks".
    path("tasks/", include("leads.follow_ups.urls")),
    path("reports/", include("leads.reports.urls")),
    path("settings/assignment/", include("leads.assignment.urls")),
    path("settings/api-keys/", include("leads.api_keys.urls")),
    path("settings/capture-forms/", include("leads.capture.settings_urls")),
]

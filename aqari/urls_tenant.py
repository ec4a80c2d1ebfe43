"""An agency's host: the app its staff use."""

from django.urls import include, path

from aqari import views
from aqari.urls_common import common_patterns
from leads import views as lead_views
from leads import views_reports

urlpatterns = [
    path("", lead_views.dashboard, name="dashboard"),
    path("leads/import/", include("leads.imports.urls")),
    path("leads/", include("leads.urls")),
    path("capture/", include("leads.capture.urls")),
    path("api/v1/", include("leads.api.urls")),
    path("inbox/", views.inbox_page, name="inbox"),
    path("tasks/", include("leads.tasks_urls")),
    path("reports/", views_reports.reports_page, name="reports"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("settings/assignment/", include("leads.assignment_urls")),
    path("settings/api-keys/", include("leads.api.settings_urls")),
    path("settings/capture-forms/", include("leads.capture.settings_urls")),
    path("", include("accounts.urls")),
    *common_patterns,
]

handler403 = "aqari.views.error_403"
handler404 = "aqari.views.error_404"
handler500 = "aqari.views.error_500"

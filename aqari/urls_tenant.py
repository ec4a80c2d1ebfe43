"""An agency's host: the app its staff use."""

from django.urls import include, path

from aqari import views
from aqari.urls_common import common_patterns

urlpatterns = [
    # Leads: the dashboard at "", the lead pages, capture, the API, Tasks, reports, settings.
    path("", include("leads.urls")),
    path("inbox/", views.inbox_page, name="inbox"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("", include("accounts.urls")),
    *common_patterns,
]

handler403 = "aqari.views.error_403"
handler404 = "aqari.views.error_404"
handler500 = "aqari.views.error_500"

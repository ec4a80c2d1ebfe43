"""An agency's host: the app its staff use."""

from django.urls import include, path

from accounts import views as account_views
from aqari import views
from aqari.urls_common import common_patterns

urlpatterns = [
    # Leads: the dashboard at "", the lead pages, capture, the API, Tasks, reports, settings.
    path("", include("leads.urls")),
    path("inbox/", views.inbox_page, name="inbox"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("settings/", account_views.settings_page, name="settings"),
    path("settings/team/", account_views.team_page, name="team"),
    path("attendance/", include("accounts.urls_attendance")),
    path("settings/team/invite/", account_views.invite, name="invite"),
    path(
        "settings/team/invitations/<int:invitation_id>/revoke/",
        account_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    *common_patterns,
]

handler403 = "aqari.views.error_403"
handler404 = "aqari.views.error_404"
handler500 = "aqari.views.error_500"

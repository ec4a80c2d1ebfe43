"""Accounts' pages on the agency host: settings, the team and invitations, attendance."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/team/", views.team_page, name="team"),
    path("settings/team/invite/", views.invite, name="invite"),
    path(
        "settings/team/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("attendance/", views.attendance_page, name="attendance"),
    path("attendance/check-in/", views.attendance_check_in, name="attendance_check_in"),
    path("attendance/check-out/", views.attendance_check_out, name="attendance_check_out"),
]

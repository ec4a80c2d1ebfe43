"""Attendance, included at `attendance/` on the agency host."""

from django.urls import path

from accounts import views_attendance as views

urlpatterns = [
    path("", views.attendance_page, name="attendance"),
    path("check-in/", views.attendance_check_in, name="attendance_check_in"),
    path("check-out/", views.attendance_check_out, name="attendance_check_out"),
]

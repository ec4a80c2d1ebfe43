"""The Tasks page (follow-ups), included at `tasks/` on the agency host."""

from django.urls import path

from leads.follow_ups import views

urlpatterns = [
    path("", views.follow_ups_page, name="follow_ups"),
    path("<int:follow_up_id>/toggle/", views.follow_up_toggle, name="follow_up_toggle"),
]

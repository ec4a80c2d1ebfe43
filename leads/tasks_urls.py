"""The Tasks page, included at `tasks/` on the agency host."""

from django.urls import path

from leads import views_tasks as views

urlpatterns = [
    path("", views.follow_ups_page, name="follow_ups"),
    path("<int:follow_up_id>/toggle/", views.follow_up_toggle, name="follow_up_toggle"),
]

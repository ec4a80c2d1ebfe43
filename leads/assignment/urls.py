"""Settings → Assignment, included at `settings/assignment/` on the agency host."""

from django.urls import path

from leads.assignment import views

urlpatterns = [
    path("", views.assignment_page, name="assignment"),
    path("rules/new/", views.assignment_rule_create, name="assignment_rule_create"),
    path("rules/<int:rule_id>/", views.assignment_rule_edit, name="assignment_rule_edit"),
    path(
        "rules/<int:rule_id>/delete/", views.assignment_rule_remove, name="assignment_rule_remove"
    ),
    path("options/", views.assignment_options, name="assignment_options"),
]

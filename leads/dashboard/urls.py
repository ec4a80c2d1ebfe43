"""The dashboard, at the root of the agency's host."""

from django.urls import path

from leads.dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

"""The reports page, included at `reports/`."""

from django.urls import path

from leads.reports import views

urlpatterns = [
    path("", views.reports_page, name="reports"),
]

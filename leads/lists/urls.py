"""The lead list, included at `leads/`."""

from django.urls import path

from leads.lists import views

urlpatterns = [
    path("", views.lead_list, name="leads"),
    path("bulk/", views.leads_bulk, name="leads_bulk"),
    path("views/", views.saved_view_create, name="saved_view_create"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
]

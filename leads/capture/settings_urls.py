"""The admin's website-forms page, included at `settings/capture-forms/` on the agency host."""

from django.urls import path

from leads.capture import views

urlpatterns = [
    path("", views.capture_forms_page, name="capture_forms"),
    path("new/", views.capture_form_create, name="capture_form_create"),
    path("<int:form_id>/revoke/", views.capture_form_revoke, name="capture_form_revoke"),
]

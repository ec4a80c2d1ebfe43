"""Settings → API keys, included at `settings/api-keys/` on the agency host."""

from django.urls import path

from leads.api_keys import views

urlpatterns = [
    path("", views.api_keys_page, name="api_keys"),
    path("<int:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]

"""Meta lead ads on the platform host: `GET` (verify handshake) and `POST` `/webhooks/meta/`."""

from django.urls import path

from leads.meta import views

urlpatterns = [
    path("", views.meta_webhook, name="meta_webhook"),
]

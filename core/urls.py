from django.urls import path

from core import views

urlpatterns = [
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]

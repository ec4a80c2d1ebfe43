from django.urls import include, path

from aqari import views

common_patterns = [
    path("accounts/", include("allauth.urls")),
    path("language/", views.language_switch, name="language_switch"),
    path("healthz", views.health, name="health"),
    path("", include("core.urls")),
]

from django.apps import AppConfig


class AqariConfig(AppConfig):
    name = "aqari"
    verbose_name = "Aqari"

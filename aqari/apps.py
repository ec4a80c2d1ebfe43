from django.apps import AppConfig


class AqariConfig(AppConfig):
    name = "aqari"
    verbose_name = "Aqari"

    def ready(self) -> None:
        from aqari import checks  # noqa: F401  (registers system checks)

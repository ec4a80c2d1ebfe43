from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Agencies"

    def ready(self) -> None:
        from tenants import privacy  # noqa: F401  (registers with the privacy registry)

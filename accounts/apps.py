from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import emails, privacy, signals  # noqa: F401

        emails.register()
        from accounts.services import first_admin_provision, first_admin_validate
        from tenants.services import agency_provisioning_register

        agency_provisioning_register(
            name="first_admin", validate=first_admin_validate, provision=first_admin_provision
        )

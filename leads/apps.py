from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from leads import emails, privacy  # noqa: F401  (privacy registers with the registry)
        from tenants.inbound import META, inbound_processor_register

        emails.register()
        inbound_processor_register(provider=META, task_name="leads.tasks.meta_lead_process")

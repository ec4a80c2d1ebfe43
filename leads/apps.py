from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from leads import privacy  # noqa: F401  (registers with the privacy registry)
        from tenants.inbound import META, inbound_processor_register

        inbound_processor_register(provider=META, task_name="leads.tasks.meta_lead_process")

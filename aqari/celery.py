"""The Celery app. Tasks queued inside an agency's request run in that agency's schema."""

import os

from django.apps import apps as django_apps
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")

app = CeleryApp("aqari")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app keeps its tasks in one `tasks.py` (leads too: leads/tasks.py), found here.
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _tasks_known_in_every_process(sender, **kwargs) -> None:
    """Some tasks are queued by name (webhook processors registered with tenants.inbound, leads
    services that queue the tasks calling them). The worker imports every app's tasks module as
    it starts; a web process or a shell finalizes the app at its first task lookup, so import
    them then too (once Django's apps are loaded, which a lookup during a request implies)."""
    if django_apps.ready:
        sender.autodiscover_tasks(force=True)

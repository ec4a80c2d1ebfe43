"""The Celery app. Tasks queued inside an agency's request run in that agency's schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aqari.settings")

app = CeleryApp("aqari")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules that live in an app's sub-package, which autodiscovery does not look into.
app.autodiscover_tasks(["leads.capture", "leads.imports"])

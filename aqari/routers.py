"""Which tables live in the public schema and which in every agency's schema.

django-tenants decides per app. `accounts` is both: people (`User`) are shared across
agencies, while memberships, invitations and check-ins belong to one agency and live in its
schema, so an agency's staff list can never be read from another agency's host. A model says
where it lives with `Meta`-free class attribute `schema_scope = "public" | "tenant"`.
"""

from django.apps import apps
from django_tenants.routers import TenantSyncRouter

SPLIT_APPS = {"accounts", "privacy"}


class AqariSyncRouter(TenantSyncRouter):
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        allowed = super().allow_migrate(db, app_label, model_name=model_name, **hints)
        if allowed is False or app_label not in SPLIT_APPS or model_name is None:
            return allowed
        from django.db import connections
        from django_tenants.utils import get_public_schema_name

        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            # A model deleted later in history: follow the migration's own hint.
            model = hints.get("model")
        scope = getattr(model, "schema_scope", "tenant")
        on_public = connections[db].schema_name == get_public_schema_name()
        return None if (scope == "public") == on_public else False

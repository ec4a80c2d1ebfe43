"""Schemas: the ready template new agencies are cloned from, and migrating everything."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants.models import Agency, Domain

logger = logging.getLogger(__name__)


def template_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


def template_schema_migrate(*, verbosity: int = 0) -> None:
    """Create (if missing) and migrate the template schema new agencies are cloned from."""
    name = template_schema_name()
    connection.set_schema_to_public()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command(
        "migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=verbosity
    )
    connection.set_schema_to_public()


def public_tenant_ensure() -> None:
    """django-tenants routes the platform host through a tenant row for the public schema."""
    public, _ = Agency.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Aqari platform", "slug": "platform"},
    )
    Domain.objects.update_or_create(
        domain=settings.AQARI_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )


def migrate_everything(*, verbosity: int = 0) -> None:
    """Public schema, then the template, then every agency."""
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
    public_tenant_ensure()
    template_schema_migrate(verbosity=verbosity)
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()
    logger.info("schemas migrated", extra={"public": get_public_schema_name()})

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.models import Agency


def agency_host(agency: Agency) -> str:
    return f"{agency.slug}.{settings.AQARI_BASE_DOMAIN}"


def agency_url(agency: Agency, path: str = "/") -> str:
    port = f":{settings.AQARI_PUBLIC_PORT}" if settings.AQARI_PUBLIC_PORT else ""
    return f"{settings.AQARI_PUBLIC_SCHEME}://{agency_host(agency)}{port}{path}"


def agencies() -> QuerySet[Agency]:
    return Agency.objects.exclude(schema_name=get_public_schema_name()).order_by("name")


def agency_timezone() -> zoneinfo.ZoneInfo:
    """The time zone of the agency whose schema this is."""
    name = getattr(connection.tenant, "timezone", "") or "Asia/Dubai"
    return zoneinfo.ZoneInfo(name)


def local_day_start(*, now: datetime | None = None) -> datetime:
    """Midnight today in the agency's time zone (an aware datetime)."""
    tz = agency_timezone()
    local = timezone.localtime(now or timezone.now(), tz)
    return datetime.combine(local.date(), time.min, tzinfo=tz)


def current_agency() -> Agency:
    """The agency whose schema the connection is in: the request's, or, in a task that entered
    the schema by name (django-tenants' stand-in tenant), read from the table."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Agency):
        return tenant
    return Agency.objects.get(schema_name=connection.schema_name)

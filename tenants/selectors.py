from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Agency


def agency_host(agency: Agency) -> str:
    return f"{agency.slug}.{settings.AQARI_BASE_DOMAIN}"


def agency_url(agency: Agency, path: str = "/") -> str:
    port = f":{settings.AQARI_PUBLIC_PORT}" if settings.AQARI_PUBLIC_PORT else ""
    return f"{settings.AQARI_PUBLIC_SCHEME}://{agency_host(agency)}{port}{path}"


def agencies() -> QuerySet[Agency]:
    return Agency.objects.exclude(schema_name=get_public_schema_name()).order_by("name")

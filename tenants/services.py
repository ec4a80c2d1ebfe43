"""Creating and changing agencies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from tenants.models import Agency, Domain, validate_agency_slug
from tenants.selectors import agency_host

logger = logging.getLogger(__name__)


def schema_name_for(slug: str) -> str:
    return "agency_" + slug.replace("-", "_")


@dataclass(frozen=True)
class FirstAdmin:
    """Who will run the new agency: handed to the provisioning steps the apps above register."""

    email: str
    password: str
    name: str = ""


@dataclass(frozen=True)
class ProvisioningStep:
    name: str
    # Field errors for a new agency's request, before anything is written.
    validate: Callable[[FirstAdmin], dict[str, list[str]]]
    # Runs inside the creation transaction, after the schema exists.
    provision: Callable[[Agency, FirstAdmin], None]


_provisioning_steps: dict[str, ProvisioningStep] = {}


def agency_provisioning_register(
    *,
    name: str,
    validate: Callable[[FirstAdmin], dict[str, list[str]]],
    provision: Callable[[Agency, FirstAdmin], None],
) -> None:
    """An app above tenants adds its part of opening an agency (accounts: the first admin),
    from its AppConfig.ready, the way apps register with privacy."""
    _provisioning_steps[name] = ProvisioningStep(name=name, validate=validate, provision=provision)


def agency_validate_new(*, slug: str, name: str, first_admin: FirstAdmin) -> None:
    """Every check before anything is written, so a bad input creates nothing."""
    errors: dict[str, list[str]] = {}
    try:
        validate_agency_slug(slug)
    except ValidationError as error:
        errors["slug"] = error.messages
    else:
        if Agency.objects.filter(slug=slug).exists():
            errors["slug"] = [
                _("The address “%(slug)s” is taken. Choose another.") % {"slug": slug}
            ]
    if not (name or "").strip():
        errors["name"] = [_("Give the agency a name.")]
    for step in _provisioning_steps.values():
        for field_name, messages in step.validate(first_admin).items():
            errors.setdefault(field_name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def agency_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str,
    admin_name: str = "",
    country: str = "AE",
    currency: str = "AED",
    timezone: str = "Asia/Dubai",
    default_language: str = "en",
) -> Agency:
    """Create an agency, its host, its schema (cloned from the template) and, through the
    registered provisioning steps, its first admin.

    All in one transaction: PostgreSQL DDL is transactional, so a failure leaves no schema,
    no agency row and no user behind.
    """
    slug = (slug or "").strip().lower()
    first_admin = FirstAdmin(
        email=(admin_email or "").strip().lower(), password=admin_password, name=admin_name
    )
    agency_validate_new(slug=slug, name=name, first_admin=first_admin)
    with transaction.atomic():
        agency = Agency(
            schema_name=schema_name_for(slug),
            slug=slug,
            name=name.strip(),
            country=country,
            currency=currency,
            timezone=timezone,
            default_language=default_language,
        )
        agency.full_clean()
        agency.save()
        Domain.objects.create(domain=agency_host(agency), tenant=agency, is_primary=True)
        for step in _provisioning_steps.values():
            step.provision(agency, first_admin)
        connection.set_schema_to_public()
    logger.info("agency created", extra={"agency_id": agency.pk})
    return agency


def agency_set_status(*, agency: Agency, status: str) -> Agency:
    if status not in Agency.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    agency.status = status
    agency.save(update_fields=["status"])
    return agency


# What platform staff may change on an agency; its slug names its schema and never changes.
AGENCY_EDITABLE = frozenset(
    {
        "name",
        "status",
        "country",
        "currency",
        "timezone",
        "default_language",
        "require_mfa",
        "attendance_enabled",
        "first_response_target_minutes",
    }
)


@transaction.atomic
def agency_update(*, agency: Agency, fields: Iterable[str], actor_id: int | None) -> Agency:
    """Save the named fields, already set on `agency` (the platform admin's form sets them),
    after validating the whole row. A change of status goes through `agency_set_status`."""
    fields = set(fields)
    refused = fields - AGENCY_EDITABLE
    if refused:
        # Platform staff only, in the English-only admin: not in the Arabic catalogue.
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(refused))}.")
    if not fields:
        return agency
    agency.full_clean()
    if "status" in fields:
        agency_set_status(agency=agency, status=agency.status)
    agency.save(update_fields=sorted(fields))
    logger.info(
        "agency changed",
        extra={"agency_id": agency.pk, "actor_id": actor_id, "fields": sorted(fields)},
    )
    return agency


def agency_set_require_mfa(*, agency: Agency, require_mfa: bool) -> Agency:
    agency.require_mfa = require_mfa
    agency.save(update_fields=["require_mfa"])
    return agency


def agency_set_attendance(*, agency: Agency, enabled: bool) -> Agency:
    agency.attendance_enabled = enabled
    agency.save(update_fields=["attendance_enabled"])
    return agency

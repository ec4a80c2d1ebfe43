"""Creating and changing agencies."""

from __future__ import annotations

import logging

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from tenants.models import Agency, Domain, validate_agency_slug
from tenants.selectors import agency_host

logger = logging.getLogger(__name__)


def schema_name_for(slug: str) -> str:
    return "agency_" + slug.replace("-", "_")


def agency_validate_new(*, slug: str, name: str, admin_email: str, admin_password: str) -> None:
    """Every check before anything is written, so a bad input creates nothing."""
    from accounts.models import User

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
    try:
        validate_email(admin_email)
    except ValidationError:
        errors["admin_email"] = [_("Enter a valid email address for the first admin.")]
    existing = User.objects.filter(email__iexact=(admin_email or "").strip()).first()
    if existing is None:
        try:
            password_validation.validate_password(
                admin_password or "", User(email=admin_email, full_name="")
            )
        except ValidationError as error:
            errors["admin_password"] = error.messages
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
    """Create an agency, its host, its schema (cloned from the template) and its first admin.

    All in one transaction: PostgreSQL DDL is transactional, so a failure leaves no schema,
    no agency row and no user behind.
    """
    from accounts import services as account_services
    from accounts.models import Role, User

    slug = (slug or "").strip().lower()
    admin_email = (admin_email or "").strip().lower()
    agency_validate_new(
        slug=slug, name=name, admin_email=admin_email, admin_password=admin_password
    )
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
        user = User.objects.filter(email__iexact=admin_email).first()
        if user is None:
            user = account_services.user_create(
                email=admin_email, password=admin_password, full_name=admin_name
            )
        with schema_context(agency.schema_name):
            account_services.membership_create(user=user, role=Role.ADMIN)
        connection.set_schema_to_public()
    logger.info("agency created", extra={"agency_id": agency.pk})
    return agency


def agency_set_status(*, agency: Agency, status: str) -> Agency:
    if status not in Agency.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    agency.status = status
    agency.save(update_fields=["status"])
    return agency


def agency_set_require_mfa(*, agency: Agency, require_mfa: bool) -> Agency:
    agency.require_mfa = require_mfa
    agency.save(update_fields=["require_mfa"])
    return agency

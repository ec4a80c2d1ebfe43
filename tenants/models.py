from __future__ import annotations

import functools
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

from tenants.cloning import schema_clone

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "app",
        "public",
        "static",
        "media",
        "mail",
        "demo-template",
        "agency-template",
        "webhooks",
        "status",
        "help",
        "support",
        "pg",
        "information-schema",
    }
)


def validate_agency_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            _("Use 3 to 32 lowercase letters, digits or hyphens, starting with a letter."),
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS or value.startswith("pg-"):
        raise ValidationError(_("This address is reserved. Choose another."), code="reserved")


@functools.cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on every call.
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(_("Unknown time zone."), code="invalid_timezone")


class Agency(TenantMixin):
    """An agency is a tenant: its staff, leads and messages live in its own schema."""

    schema_scope = "public"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        ARABIC = "ar", "العربية"

    name = models.CharField(_("name"), max_length=120)
    slug = models.CharField(
        _("address"), max_length=32, unique=True, validators=[validate_agency_slug]
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="AE",
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter country code."))],
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="AED",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter currency code."))],
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Dubai", validators=[validate_timezone]
    )
    default_language = models.CharField(
        _("default language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    require_mfa = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Staff without an authenticator app are asked to set one up first."),
    )
    first_response_target_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"),
        default=15,
        help_text=_("Leads not contacted within this time are highlighted."),
    )
    attendance_enabled = models.BooleanField(
        _("attendance check-in"),
        default=False,
        help_text=_("Agents check in and out; round-robin skips agents who are out."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @classmethod
    def fan_out_queryset(cls) -> models.QuerySet[Agency]:
        """The agencies beat jobs reach (core.tasks.fan_out): active ones."""
        return cls.objects.filter(status=cls.Status.ACTIVE)

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Copy the migrated template in one round trip (tenants/cloning.py); fall back to
        django-tenants (replaying migrations) when there is no template or copying is off."""
        template = getattr(settings, "TENANT_BASE_SCHEMA", None)
        fast = (
            sync_schema
            and template
            and getattr(settings, "TENANT_CREATION_FAKES_MIGRATIONS", False)
            and self.schema_name != "public"
            and schema_exists(template)
        )
        if not fast:
            return super().create_schema(
                check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity
            )
        if check_if_exists and schema_exists(self.schema_name):
            return False
        with transaction.atomic():
            schema_clone(template=template, new_schema=self.schema_name)
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    schema_scope = "public"

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class ProviderRoute(models.Model):
    """Which agency an address at a provider belongs to: a Meta page id, a Twilio number or
    WhatsApp sender. Webhooks arrive on the platform host and are routed by this table."""

    schema_scope = "public"

    class Kind(models.TextChoices):
        META_PAGE = "meta_page", _("Meta page")
        TWILIO_NUMBER = "twilio_number", _("Twilio number")
        WHATSAPP_SENDER = "whatsapp_sender", _("WhatsApp sender")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    address = models.CharField(max_length=100)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="routes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="tenants_route_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


class WebhookEvent(models.Model):
    """A provider's webhook delivery, stored (verified) before it is processed. The unique
    (provider, external_id) makes replays and retries harmless."""

    schema_scope = "public"

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    provider = models.CharField(max_length=20)
    external_id = models.CharField(max_length=200)
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="tenants_webhook_event_unique"
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="tenants_webhook_pending")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"

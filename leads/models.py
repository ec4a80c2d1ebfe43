from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership


class PipelineStage(models.Model):
    """An agency's own pipeline. Defaults are seeded in every agency by a data migration."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=60)
    name_ar = models.CharField(_("name in Arabic"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OPEN)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="leads_stage_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    WEBSITE = "website", _("Website")
    META = "meta", _("Meta lead ad")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    CSV = "csv", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("Manual")


class Interest(models.TextChoices):
    BUY = "buy", _("Buy")
    RENT = "rent", _("Rent")
    OFF_PLAN = "off_plan", _("Off-plan")


class Lead(models.Model):
    """A person interested in property. One person, one lead: phones and email are unique
    identities within an agency (enforced by the capture service under a lock)."""

    full_name = models.CharField(_("name"), max_length=150, blank=True)
    phones = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # Digits of every phone, space-separated, for partial-digit search.
    phone_digits = models.CharField(max_length=200, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=5, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_details = models.JSONField(_("source details"), default=dict, blank=True)
    interest = models.CharField(_("interest"), max_length=10, choices=Interest.choices, blank=True)
    property_type = models.CharField(_("property type"), max_length=40, blank=True)
    bedrooms = models.PositiveSmallIntegerField(_("bedrooms"), null=True, blank=True)
    communities = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    budget_min = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_max = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(max_length=3, blank=True)
    stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="leads")
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    assignee = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["phones"], name="leads_lead_phones_gin"),
            models.Index(Lower("email"), name="leads_lead_email_lower"),
            models.Index(fields=["assignee", "-created_at"], name="leads_lead_assignee_recent"),
        ]

    def __str__(self) -> str:
        return f"lead {self.pk}"


class LeadActivity(models.Model):
    """The lead's timeline: everything that happened to it, newest last."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Lead created")
        INQUIRY = "inquiry", _("New inquiry")
        STAGE = "stage", _("Stage changed")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Note")
        CONTACT = "contact", _("Contacted")
        MERGED = "merged", _("Merged")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"activity {self.pk} ({self.kind})"

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
    # Trigrams of the normalised name (either script), email and phone digits; a GIN index on
    # this array answers partial search without the pg_trgm extension (see leads/search.py).
    search_grams = ArrayField(
        models.CharField(max_length=3), default=list, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_channel = models.CharField(max_length=12, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["phones"], name="leads_lead_phones_gin"),
            GinIndex(fields=["search_grams"], name="leads_lead_search_gin"),
            GinIndex(fields=["tags"], name="leads_lead_tags_gin"),
            GinIndex(fields=["communities"], name="leads_lead_communities_gin"),
            models.Index(fields=["stage", "-created_at", "-id"], name="leads_lead_stage_recent"),
            models.Index(fields=["-created_at", "-id"], name="leads_lead_recent"),
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
        # Stored as "task" (rows written before follow-ups had their name keep it).
        FOLLOW_UP = "task", _("Task")
        ATTACHMENT = "attachment", _("Attachment")
        IMPORTED = "imported", _("Imported")

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


class LeadNote(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class FollowUp(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="follow_ups")
    assignee = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("task"), max_length=200)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Why its reminder will never go (the provider refused it, the assignee left): not retried.
    reminder_error = models.CharField(max_length=40, blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_at"], name="leads_task_open_due")
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk}"


class LeadAttachment(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"


class CaptureForm(models.Model):
    """A website form's token: `POST /capture/<token>/` creates or updates a lead."""

    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(max_length=43, unique=True)
    source_details = models.JSONField(default=dict, blank=True)
    allowed_origins = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_leads = models.PositiveIntegerField(default=0)
    updated_leads = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    rejected_file = models.FileField(upload_to="imports/rejected/%Y/%m/", blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk}"


class ApiKey(models.Model):
    """An agency's API key: shown once, stored as a hash, revocable."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class AssignmentRule(models.Model):
    """Round-robin among checked-in agents, optionally only for a source, language or
    community. Rules are tried in order; the first that matches assigns."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    sources = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    languages = ArrayField(models.CharField(max_length=5), default=list, blank=True)
    communities = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    agents = models.ManyToManyField(Membership, related_name="+", blank=True)
    last_assigned = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    owner = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

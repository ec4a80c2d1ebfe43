"""Writes for working a lead: stage, notes, follow-ups, attachments, tags, merging, bulk actions,
the agency's pipeline stages and staff members' saved views.

Each service checks that the actor may work the lead (an agent only their own), validates,
writes in one transaction and puts what happened on the lead's timeline.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.dispatch import Signal
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import STAFF_WHO_WORK_LEADS, can
from core.phones import phone_digits
from leads.models import (
    FollowUp,
    Lead,
    LeadActivity,
    LeadAttachment,
    LeadNote,
    PipelineStage,
    SavedView,
)
from leads.services.capture import lead_refresh_search

logger = logging.getLogger(__name__)

# Sent inside the merge's transaction, so other apps (messaging: conversations, consents) move
# their rows of `merged` to `target` atomically with ours. Leads never import those apps.
lead_merged = Signal()

NOTE_MAX = 5000
TAG_MAX_LENGTH = 40
TAGS_PER_LEAD = 20
BULK_MAX = 500
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def _may_work(actor: Membership | None, lead: Lead) -> None:
    if actor is None:
        return
    if actor.role not in STAFF_WHO_WORK_LEADS:
        raise ValidationError(_("Your role does not work leads."))
    if not can(actor.role, "see_all_leads") and lead.assignee_id != actor.pk:
        raise ValidationError(_("You can work only on leads assigned to you."))


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


# --- stage ------------------------------------------------------------------------------------


@transaction.atomic
def lead_change_stage(
    *, lead: Lead, stage: PipelineStage, actor: Membership | None, lost_reason: str = ""
) -> Lead:
    """Move a lead to another stage. A lost stage needs the reason it was lost."""
    _may_work(actor, lead)
    lead = _locked(lead)
    stage = PipelineStage.objects.filter(pk=stage.pk).first()
    if stage is None or (not stage.is_active and stage.pk != lead.stage_id):
        raise ValidationError({"stage": _("Choose one of your pipeline's stages.")})
    lost_reason = " ".join((lost_reason or "").split())
    if stage.kind == PipelineStage.Kind.LOST:
        if not lost_reason:
            raise ValidationError(
                {"lost_reason": _("Say why the lead was lost, so the team can learn from it.")}
            )
        if len(lost_reason) > 200:
            raise ValidationError({"lost_reason": _("Keep the reason under 200 characters.")})
    else:
        lost_reason = ""
    if stage.pk == lead.stage_id and lost_reason == lead.lost_reason:
        return lead
    previous = lead.stage
    lead.stage = stage
    lead.lost_reason = lost_reason
    lead.save(update_fields=["stage", "lost_reason", "updated_at"])
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.STAGE,
        actor=actor,
        data={
            "from_stage_id": previous.pk,
            "from": previous.name,
            "to_stage_id": stage.pk,
            "to": stage.name,
            "lost_reason": lost_reason,
        },
    )
    logger.info("lead stage changed", extra={"lead_id": lead.pk, "stage_id": stage.pk})
    return lead


# --- notes ------------------------------------------------------------------------------------


@transaction.atomic
def lead_note_add(*, lead: Lead, actor: Membership | None, body: str) -> LeadNote:
    _may_work(actor, lead)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    if len(body) > NOTE_MAX:
        raise ValidationError(
            {"body": _("Keep the note under %(limit)s characters.") % {"limit": f"{NOTE_MAX:,}"}}
        )
    note = LeadNote(lead=lead, author=actor, body=body)
    note.full_clean()
    note.save()
    LeadActivity.objects.create(
        lead=lead, kind=LeadActivity.Kind.NOTE, actor=actor, data={"note_id": note.pk}
    )
    return note


# --- follow-ups -------------------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *,
    lead: Lead,
    actor: Membership | None,
    title: str,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    assignee: Membership | None = None,
) -> FollowUp:
    """A follow-up on the lead. It goes to `assignee`, else the lead's assignee, else the
    actor. A reminder is emailed to that person at `remind_at`."""
    _may_work(actor, lead)
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = [_("Say what needs doing, for example “Send the floor plan”.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the task under 200 characters.")]
    for name, value in (("due_at", due_at), ("remind_at", remind_at)):
        if value is not None and timezone.is_naive(value):
            errors[name] = [_("Give the time with its time zone.")]
    now = timezone.now()
    if remind_at is not None and not errors.get("remind_at") and remind_at < now:
        errors["remind_at"] = [_("The reminder time has passed. Choose a time in the future.")]
    if assignee is not None and (
        not assignee.is_active or assignee.role not in STAFF_WHO_WORK_LEADS
    ):
        errors["assignee"] = [_("Choose an active member of your team who works leads.")]
    if errors:
        raise ValidationError(errors)
    if assignee is None:
        assignee = lead.assignee if lead.assignee_id else actor
    follow_up = FollowUp(
        lead=lead,
        assignee=assignee,
        created_by=actor,
        title=title,
        due_at=due_at,
        remind_at=remind_at,
    )
    follow_up.full_clean()
    follow_up.save()
    LeadActivity.objects.create(
        lead=lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "created"},
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("lead").get(pk=follow_up.pk)
    _may_work(actor, follow_up.lead)
    if follow_up.done_at is not None:
        return follow_up
    follow_up.done_at = timezone.now()
    follow_up.save(update_fields=["done_at"])
    LeadActivity.objects.create(
        lead=follow_up.lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "done"},
    )
    return follow_up


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("lead").get(pk=follow_up.pk)
    _may_work(actor, follow_up.lead)
    if follow_up.done_at is None:
        return follow_up
    follow_up.done_at = None
    follow_up.save(update_fields=["done_at"])
    LeadActivity.objects.create(
        lead=follow_up.lead,
        kind=LeadActivity.Kind.FOLLOW_UP,
        actor=actor,
        data={"task_id": follow_up.pk, "action": "reopened"},
    )
    return follow_up


def follow_up_toggle(*, follow_up: FollowUp, actor: Membership | None) -> FollowUp:
    """The tick box: an open follow-up is done, a done one is open again."""
    if follow_up.done_at is None:
        return follow_up_complete(follow_up=follow_up, actor=actor)
    return follow_up_reopen(follow_up=follow_up, actor=actor)


def follow_ups_due_for_reminder(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of open follow-ups whose reminder time has come and not been sent. Reminders more than
    a day late are dropped: a reminder that late helps no one."""
    now = now or timezone.now()
    return list(
        FollowUp.objects.filter(
            remind_at__lte=now,
            remind_at__gt=now - timedelta(days=1),
            reminded_at__isnull=True,
            done_at__isnull=True,
            assignee__isnull=False,
        )
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def _current_agency():
    """The agency whose schema this is (a Celery task may run under django-tenants' stand-in)."""
    from tenants.models import Agency

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Agency):
        return tenant
    return Agency.objects.get(schema_name=connection.schema_name)


@transaction.atomic
def follow_up_reminder_send(*, follow_up_id: int) -> bool:
    """Email the follow-up's assignee once. The row lock and `reminded_at` make a repeated or
    concurrent call send nothing more. Returns whether an email went out."""
    from django.core.mail import send_mail

    from accounts.models import User
    from tenants.selectors import agency_url

    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("lead", "assignee")
        .filter(pk=follow_up_id)
        .first()
    )
    if (
        follow_up is None
        or follow_up.reminded_at
        or follow_up.done_at
        or follow_up.assignee is None
    ):
        return False
    user = User.objects.filter(pk=follow_up.assignee.user_id, is_active=True).first()
    if user is None or not follow_up.assignee.is_active:
        return False
    agency = _current_agency()
    context = {
        "agency": agency,
        "follow_up": follow_up,
        "lead": follow_up.lead,
        "link": agency_url(agency, f"/leads/{follow_up.lead_id}/"),
    }
    with (
        translation.override(user.language or agency.default_language),
        timezone.override(agency.timezone),
    ):
        subject = render_to_string("leads/email/task_reminder_subject.txt", context).strip()
        body = render_to_string("leads/email/task_reminder_message.txt", context)
    send_mail(subject, body, None, [user.email])
    follow_up.reminded_at = timezone.now()
    follow_up.save(update_fields=["reminded_at"])
    return True


# --- attachments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extensions: tuple[str, ...]


FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind("PDF", "application/pdf", (".pdf",)),
    "jpeg": FileKind("JPG", "image/jpeg", (".jpg", ".jpeg")),
    "png": FileKind("PNG", "image/png", (".png",)),
    "heic": FileKind("HEIC", "image/heic", (".heic", ".heif")),
    "docx": FileKind(
        "Word (.docx)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": FileKind(
        "Excel (.xlsx)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
    ),
}
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def _kind_by_extension(name: str) -> str | None:
    extension = os.path.splitext(name or "")[1].lower()
    for key, kind in FILE_KINDS.items():
        if extension in kind.extensions:
            return key
    return None


def file_kind_sniff(upload) -> str | None:
    """What the file's bytes say it is, whatever its name claims."""
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "heic"
    if head.startswith(b"PK\x03\x04"):
        # Only the zip's directory is read, never a member: a zip bomb costs nothing here.
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
    return None


def attachment_check(upload: UploadedFile | None) -> str:
    """The file's kind, or a ValidationError saying what to attach instead."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file to attach.")})
    name = os.path.basename(upload.name or "")
    allowed = _("Attach a PDF, JPG, PNG, HEIC, Word (.docx) or Excel (.xlsx) file.")
    if upload.size is not None and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("“%(name)s” is %(size)s; attachments can be at most 10 MB.")
                % {"name": name, "size": filesizeformat(upload.size)}
            }
        )
    if not upload.size:
        raise ValidationError({"file": _("“%(name)s” is empty.") % {"name": name}})
    claimed = _kind_by_extension(name)
    if claimed is None:
        raise ValidationError({"file": allowed})
    actual = file_kind_sniff(upload)
    if actual != claimed:
        raise ValidationError(
            {
                "file": _(
                    "“%(name)s” is not really a %(kind)s file inside. Save it again as "
                    "%(kind)s and attach it once more."
                )
                % {"name": name, "kind": FILE_KINDS[claimed].label}
            }
        )
    return actual


@transaction.atomic
def lead_attachment_add(
    *, lead: Lead, actor: Membership | None, upload: UploadedFile | None
) -> LeadAttachment:
    _may_work(actor, lead)
    kind = attachment_check(upload)
    extension = FILE_KINDS[kind].extensions[0]
    attachment = LeadAttachment(
        lead=lead,
        uploaded_by=actor,
        original_name=os.path.basename(upload.name)[-200:],
        content_type=FILE_KINDS[kind].content_type,
        size=upload.size,
    )
    # Stored under a random name: a file name is often a person's name or passport number.
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    try:
        attachment.full_clean()
        attachment.save()
        LeadActivity.objects.create(
            lead=lead,
            kind=LeadActivity.Kind.ATTACHMENT,
            actor=actor,
            data={"attachment_id": attachment.pk},
        )
    except Exception:
        # Without the row nothing points at the stored file any more.
        attachment.file.delete(save=False)
        raise
    return attachment


# --- tags -------------------------------------------------------------------------------------


def tags_clean(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join((tag or "").split()).strip(",")[:TAG_MAX_LENGTH]
        if tag and tag.casefold() not in {t.casefold() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > TAGS_PER_LEAD:
        raise ValidationError(
            {"tags": _("Use at most %(count)s tags on one lead.") % {"count": TAGS_PER_LEAD}}
        )
    return cleaned


@transaction.atomic
def lead_set_tags(*, lead: Lead, actor: Membership | None, tags: Iterable[str]) -> Lead:
    _may_work(actor, lead)
    cleaned = tags_clean(tags)
    lead = _locked(lead)
    if cleaned == lead.tags:
        return lead
    lead.tags = cleaned
    lead.save(update_fields=["tags", "updated_at"])
    return lead


# --- merge ------------------------------------------------------------------------------------


FILLABLE_FIELDS = (
    "full_name",
    "email",
    "nationality",
    "preferred_language",
    "interest",
    "property_type",
    "budget_currency",
)
FILLABLE_NULLABLE = ("bedrooms", "budget_min", "budget_max", "assignee_id", "first_response_at")


@transaction.atomic
def lead_merge(*, target: Lead, duplicate: Lead, actor: Membership | None) -> Lead:
    """Fold `duplicate` into `target`: its timeline, notes, tasks and attachments move over,
    its phones, email and tags are united with the target's, and it is kept (hidden) with
    `merged_into` pointing at the target, so old links and privacy requests still find it."""
    if target.pk == duplicate.pk:
        raise ValidationError(_("Choose another lead: a lead cannot be merged into itself."))
    _may_work(actor, target)
    _may_work(actor, duplicate)
    # Lock in id order so two merges of the same pair cannot deadlock.
    locked = {
        lead.pk: lead
        for lead in Lead.objects.select_for_update()
        .filter(pk__in=[target.pk, duplicate.pk])
        .order_by("pk")
    }
    target, duplicate = locked[target.pk], locked[duplicate.pk]
    if target.merged_into_id or duplicate.merged_into_id:
        raise ValidationError(_("One of these leads was already merged. Reload the page."))

    target.phones = [*target.phones, *[p for p in duplicate.phones if p not in target.phones]]
    target.phone_digits = " ".join(phone_digits(p) for p in target.phones)
    for name in FILLABLE_FIELDS:
        if not getattr(target, name) and getattr(duplicate, name):
            setattr(target, name, getattr(duplicate, name))
    for name in FILLABLE_NULLABLE:
        if getattr(target, name) is None and getattr(duplicate, name) is not None:
            setattr(target, name, getattr(duplicate, name))
    if (
        duplicate.first_response_at
        and target.first_response_at
        and duplicate.first_response_at < target.first_response_at
    ):
        target.first_response_at = duplicate.first_response_at
        target.first_response_channel = duplicate.first_response_channel
    elif duplicate.first_response_at and target.first_response_at == duplicate.first_response_at:
        target.first_response_channel = (
            target.first_response_channel or duplicate.first_response_channel
        )
    target.tags = tags_clean([*target.tags, *duplicate.tags])[:TAGS_PER_LEAD]
    target.communities = [
        *target.communities,
        *[c for c in duplicate.communities if c not in target.communities],
    ]
    target.source_details = {**duplicate.source_details, **target.source_details}
    lead_refresh_search(target)

    moved = {
        "activities": LeadActivity.objects.filter(lead=duplicate).update(lead=target),
        "notes": LeadNote.objects.filter(lead=duplicate).update(lead=target),
        "tasks": FollowUp.objects.filter(lead=duplicate).update(lead=target),
        "attachments": LeadAttachment.objects.filter(lead=duplicate).update(lead=target),
    }
    lead_merged.send(sender=Lead, target=target, merged=duplicate, actor=actor)

    # The duplicate keeps its identities for privacy requests, but must never be matched
    # again by capture or search: capture skips merged leads, and search reads `search_grams`.
    duplicate.merged_into = target
    duplicate.search_grams = []
    duplicate.save(update_fields=["merged_into", "search_grams", "updated_at"])
    target.save()
    LeadActivity.objects.create(
        lead=target,
        kind=LeadActivity.Kind.MERGED,
        actor=actor,
        data={"merged_lead_id": duplicate.pk, "moved": moved},
    )
    logger.info("leads merged", extra={"lead_id": target.pk, "merged_lead_id": duplicate.pk})
    return target


# --- bulk -------------------------------------------------------------------------------------


def _bulk(leads: Iterable[Lead]) -> list[Lead]:
    leads = list(leads)
    if not leads:
        raise ValidationError(_("Select at least one lead first."))
    if len(leads) > BULK_MAX:
        raise ValidationError(_("Select at most %(count)s leads at a time.") % {"count": BULK_MAX})
    return leads


@transaction.atomic
def leads_bulk_assign(
    *, leads: Iterable[Lead], assignee: Membership | None, actor: Membership
) -> int:
    from leads.services.assignment import lead_assign

    changed = 0
    for lead in _bulk(leads):
        if lead.assignee_id != (assignee.pk if assignee else None):
            lead_assign(lead=lead, assignee=assignee, actor=actor)
            changed += 1
    return changed


@transaction.atomic
def leads_bulk_change_stage(
    *, leads: Iterable[Lead], stage: PipelineStage, actor: Membership, lost_reason: str = ""
) -> int:
    changed = 0
    for lead in _bulk(leads):
        if lead.stage_id != stage.pk:
            lead_change_stage(lead=lead, stage=stage, actor=actor, lost_reason=lost_reason)
            changed += 1
    return changed


@transaction.atomic
def leads_bulk_tag(*, leads: Iterable[Lead], tag: str, actor: Membership) -> int:
    cleaned = tags_clean([tag])
    if not cleaned:
        raise ValidationError({"tag": _("Type the tag to add.")})
    changed = 0
    for lead in _bulk(leads):
        if cleaned[0].casefold() not in {t.casefold() for t in lead.tags}:
            lead_set_tags(lead=lead, actor=actor, tags=[*lead.tags, cleaned[0]])
            changed += 1
    return changed


EXPORT_COLUMNS = (
    "id",
    "name",
    "phones",
    "email",
    "source",
    "stage",
    "lost_reason",
    "assignee",
    "interest",
    "property_type",
    "bedrooms",
    "communities",
    "budget_min",
    "budget_max",
    "budget_currency",
    "tags",
    "created_at",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheets run a cell that starts like a formula; a lead's name must never do that."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def leads_export_csv(
    *, leads: Iterable[Lead], names: dict[int, str], actor: Membership
) -> Iterator[str]:
    """CSV lines (UTF-8 with a byte-order mark, so Excel shows Arabic names) of the leads."""
    if not can(actor.role, "export_leads"):
        raise ValidationError(_("Only a manager or an admin can export leads."))
    leads = _bulk(leads)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(EXPORT_COLUMNS)
    for lead in leads:
        writer.writerow(
            [
                lead.pk,
                _cell(lead.full_name),
                " ".join(lead.phones),
                _cell(lead.email),
                lead.source,
                _cell(lead.stage.name),
                _cell(lead.lost_reason),
                _cell(names.get(lead.assignee_id, "")),
                lead.interest,
                _cell(lead.property_type),
                "" if lead.bedrooms is None else lead.bedrooms,
                _cell("; ".join(lead.communities)),
                "" if lead.budget_min is None else lead.budget_min,
                "" if lead.budget_max is None else lead.budget_max,
                lead.budget_currency,
                _cell("; ".join(lead.tags)),
                lead.created_at.isoformat(),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
    logger.info("leads exported", extra={"count": len(leads), "actor_id": actor.pk})


# --- pipeline stages --------------------------------------------------------------------------


def _may_manage_pipeline(actor: Membership) -> None:
    if not can(actor.role, "manage_pipeline"):
        raise ValidationError(_("Only an admin can change the pipeline."))


def _stage_errors(*, name: str, name_ar: str, kind: str, exclude_id: int | None) -> dict:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the stage a name.")]
    elif len(name) > 60:
        errors["name"] = [_("Keep the name under 60 characters.")]
    elif PipelineStage.objects.filter(name__iexact=name).exclude(pk=exclude_id or 0).exists():
        errors["name"] = [_("There is already a stage with this name.")]
    if len(name_ar) > 60:
        errors["name_ar"] = [_("Keep the name under 60 characters.")]
    if kind not in PipelineStage.Kind.values:
        errors["kind"] = [_("Choose open, won or lost.")]
    return errors


def _require_open_stage(exclude_id: int) -> None:
    others = PipelineStage.objects.filter(is_active=True, kind=PipelineStage.Kind.OPEN).exclude(
        pk=exclude_id
    )
    if not others.exists():
        raise ValidationError(
            _("New leads start in the first open stage, so keep at least one open stage shown.")
        )


@transaction.atomic
def stage_create(
    *, actor: Membership, name: str, name_ar: str = "", kind: str = PipelineStage.Kind.OPEN
) -> PipelineStage:
    _may_manage_pipeline(actor)
    name, name_ar = " ".join((name or "").split()), " ".join((name_ar or "").split())
    errors = _stage_errors(name=name, name_ar=name_ar, kind=kind, exclude_id=None)
    if errors:
        raise ValidationError(errors)
    # New open stages go before the first closing (won/lost) stage, where they belong.
    closing = (
        PipelineStage.objects.exclude(kind=PipelineStage.Kind.OPEN)
        .order_by("position", "id")
        .first()
    )
    stages = list(PipelineStage.objects.select_for_update().order_by("position", "id"))
    stage = PipelineStage(name=name, name_ar=name_ar, kind=kind)
    if kind == PipelineStage.Kind.OPEN and closing is not None:
        index = next(i for i, s in enumerate(stages) if s.pk == closing.pk)
        stages.insert(index, stage)
    else:
        stages.append(stage)
    try:
        stage.position = len(stages)
        stage.full_clean()
        with transaction.atomic():
            stage.save()
    except IntegrityError as error:
        raise ValidationError({"name": _("There is already a stage with this name.")}) from error
    _renumber(stages)
    return stage


@transaction.atomic
def stage_update(
    *,
    actor: Membership,
    stage: PipelineStage,
    name: str,
    name_ar: str = "",
    kind: str,
    is_active: bool,
) -> PipelineStage:
    _may_manage_pipeline(actor)
    stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    name, name_ar = " ".join((name or "").split()), " ".join((name_ar or "").split())
    errors = _stage_errors(name=name, name_ar=name_ar, kind=kind, exclude_id=stage.pk)
    if errors:
        raise ValidationError(errors)
    if (
        stage.is_active
        and stage.kind == PipelineStage.Kind.OPEN
        and (not is_active or kind != PipelineStage.Kind.OPEN)
    ):
        _require_open_stage(stage.pk)
    stage.name, stage.name_ar, stage.kind, stage.is_active = name, name_ar, kind, is_active
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def stage_move(*, actor: Membership, stage: PipelineStage, offset: int) -> None:
    """Move a stage one place up (`offset=-1`) or down (`offset=1`)."""
    _may_manage_pipeline(actor)
    stages = list(PipelineStage.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, s in enumerate(stages) if s.pk == stage.pk), None)
    if index is None:
        return
    other = index + (1 if offset > 0 else -1)
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
    _renumber(stages)


def _renumber(stages: list[PipelineStage]) -> None:
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            PipelineStage.objects.filter(pk=stage.pk).update(position=position)


@transaction.atomic
def stage_delete(*, actor: Membership, stage: PipelineStage) -> None:
    """Only an unused stage can be deleted; one with leads in it (even merged-away ones) can
    only be hidden, so its history stays readable."""
    _may_manage_pipeline(actor)
    stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    if Lead.objects.filter(stage=stage).exists():
        raise ValidationError(
            _(
                "Leads are in “%(name)s”, so it can’t be deleted. Hide it instead: it stays on "
                "those leads but is no longer offered."
            )
            % {"name": stage.name}
        )
    if stage.is_active and stage.kind == PipelineStage.Kind.OPEN:
        _require_open_stage(stage.pk)
    stage.delete()
    _renumber(list(PipelineStage.objects.order_by("position", "id")))


# --- saved views ------------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(*, actor: Membership, name: str, query: str) -> SavedView:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the view a name, for example “Hot JVC buyers”.")})
    if len(name) > 60:
        raise ValidationError({"name": _("Keep the name under 60 characters.")})
    if len(query) > 1000:
        raise ValidationError(_("These filters are too long to save."))
    if SavedView.objects.filter(owner=actor).count() >= 50:
        raise ValidationError(_("You have 50 saved views. Delete one you no longer use first."))
    existing = SavedView.objects.filter(owner=actor, name__iexact=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    view = SavedView(owner=actor, name=name, query=query)
    view.full_clean()
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, actor: Membership, view: SavedView) -> None:
    if view.owner_id != actor.pk:
        raise ValidationError(_("You can delete only your own saved views."))
    view.delete()

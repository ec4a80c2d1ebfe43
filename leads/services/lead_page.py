"""Writes from the lead page: notes, attachments, tags and merging a duplicate.

Each service checks that the actor may work the lead (an agent only their own), validates,
writes in one transaction and puts what happened on the lead's timeline.
"""

from __future__ import annotations

import logging
import os
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import Membership
from core.phones import phone_digits
from leads.fields import FILLED_WHEN_EMPTY, FILLED_WHEN_UNSET
from leads.models import FollowUp, Lead, LeadActivity, LeadAttachment, LeadNote
from leads.services.access import lead_locked, lead_work_check
from leads.services.intake import lead_refresh_search

logger = logging.getLogger(__name__)

# Sent inside the merge's transaction, so other apps (messaging: conversations, consents) move
# their rows of `merged` to `target` atomically with ours. Leads never import those apps.
lead_merged = Signal()

NOTE_MAX = 5000
TAG_MAX_LENGTH = 40
TAGS_PER_LEAD = 20
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


# --- notes ------------------------------------------------------------------------------------


@transaction.atomic
def lead_note_add(*, lead: Lead, actor: Membership | None, body: str) -> LeadNote:
    lead_work_check(actor, lead)
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
    lead_work_check(actor, lead)
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
    lead_work_check(actor, lead)
    cleaned = tags_clean(tags)
    lead = lead_locked(lead)
    if cleaned == lead.tags:
        return lead
    lead.tags = cleaned
    lead.save(update_fields=["tags", "updated_at"])
    return lead


# --- merge ------------------------------------------------------------------------------------


# A merge fills in what the target lacks as a repeat inquiry would, and takes the assignee
# and first response too when the target has none.
FILLABLE_FIELDS = FILLED_WHEN_EMPTY
FILLABLE_NULLABLE = (*FILLED_WHEN_UNSET, "assignee_id", "first_response_at")


@transaction.atomic
def lead_merge(*, target: Lead, duplicate: Lead, actor: Membership | None) -> Lead:
    """Fold `duplicate` into `target`: its timeline, notes, tasks and attachments move over,
    its phones, email and tags are united with the target's, and it is kept (hidden) with
    `merged_into` pointing at the target, so old links and privacy requests still find it."""
    if target.pk == duplicate.pk:
        raise ValidationError(_("Choose another lead: a lead cannot be merged into itself."))
    lead_work_check(actor, target)
    lead_work_check(actor, duplicate)
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
        # Merge activities stored before follow-ups had their name count them as "tasks".
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

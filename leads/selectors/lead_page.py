"""Reads for the lead page: the lead, its timeline and its files."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Membership
from leads.models import FollowUp, Lead, LeadActivity, LeadAttachment, LeadNote, PipelineStage
from leads.selectors.visibility import leads_visible


def lead_for_page(*, actor: Membership, lead_id: int) -> Lead | None:
    return leads_visible(actor=actor).select_related("stage", "assignee").filter(pk=lead_id).first()


def lead_merged_target(*, actor: Membership, lead_id: int) -> Lead | None:
    """Where a merged-away lead lives on, if the actor may see it (old links keep working)."""
    merged = Lead.objects.filter(pk=lead_id, merged_into__isnull=False).first()
    seen: set[int] = set()
    while merged is not None and merged.merged_into_id and merged.pk not in seen:
        seen.add(merged.pk)
        target = Lead.objects.filter(pk=merged.merged_into_id).first()
        if target is None:
            return None
        if target.merged_into_id is None:
            return leads_visible(actor=actor).filter(pk=target.pk).first()
        merged = target
    return None


@dataclass
class TimelineEntry:
    activity: LeadActivity
    note: LeadNote | None = None
    follow_up: FollowUp | None = None
    attachment: LeadAttachment | None = None
    actor_name: str = ""
    # For a stage change: the stages as they are now, so their names show in the reader's
    # language (and renamed stages under their new name). None when the stage was deleted.
    from_stage: PipelineStage | None = None
    to_stage: PipelineStage | None = None


def lead_timeline(*, lead: Lead, names: dict[int, str] | None = None) -> list[TimelineEntry]:
    """Everything that happened to the lead, newest first, with the note, follow-up or attachment
    each entry refers to."""
    activities = list(lead.activities.order_by("-created_at", "-id")[:300])
    note_ids = {a.data.get("note_id") for a in activities if a.data.get("note_id")}
    follow_up_ids = {a.data.get("task_id") for a in activities if a.data.get("task_id")}
    attachment_ids = {
        a.data.get("attachment_id") for a in activities if a.data.get("attachment_id")
    }
    notes = LeadNote.objects.in_bulk(note_ids) if note_ids else {}
    follow_ups = FollowUp.objects.in_bulk(follow_up_ids) if follow_up_ids else {}
    attachments = LeadAttachment.objects.in_bulk(attachment_ids) if attachment_ids else {}
    stage_ids = {
        a.data.get(key)
        for a in activities
        if a.kind == LeadActivity.Kind.STAGE
        for key in ("from_stage_id", "to_stage_id")
    } - {None}
    stages = PipelineStage.objects.in_bulk(stage_ids) if stage_ids else {}
    names = names or {}
    return [
        TimelineEntry(
            activity=a,
            note=notes.get(a.data.get("note_id")),
            follow_up=follow_ups.get(a.data.get("task_id")),
            attachment=attachments.get(a.data.get("attachment_id")),
            actor_name=names.get(a.actor_id, "") if a.actor_id else "",
            from_stage=stages.get(a.data.get("from_stage_id")),
            to_stage=stages.get(a.data.get("to_stage_id")),
        )
        for a in activities
    ]


def lead_attachments(*, lead: Lead) -> QuerySet[LeadAttachment]:
    return lead.attachments.order_by("-created_at", "-id")


def lead_attachment_for_download(
    *, actor: Membership, lead_id: int, attachment_id: int
) -> LeadAttachment | None:
    lead = leads_visible(actor=actor).filter(pk=lead_id).first()
    if lead is None:
        return None
    return LeadAttachment.objects.filter(pk=attachment_id, lead=lead).first()

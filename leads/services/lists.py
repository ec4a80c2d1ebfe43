"""Writes from the lead list: bulk actions, the CSV export and staff members' saved views."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import can
from leads.fields import EXPORT_COLUMNS, lead_csv_row
from leads.models import Lead, PipelineStage, SavedView
from leads.services.assignment import lead_assign
from leads.services.lead_page import lead_set_tags, tags_clean
from leads.services.stages import lead_change_stage

logger = logging.getLogger(__name__)

BULK_MAX = 500


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
        writer.writerow(lead_csv_row(lead, names))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
    logger.info("leads exported", extra={"count": len(leads), "actor_id": actor.pk})


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

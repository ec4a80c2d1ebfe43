"""Writes for the pipeline: moving a lead between stages, and the agency's stages themselves."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import can
from leads.models import Lead, LeadActivity, PipelineStage
from leads.services.access import lead_locked, lead_work_check

logger = logging.getLogger(__name__)


@transaction.atomic
def lead_change_stage(
    *, lead: Lead, stage: PipelineStage, actor: Membership | None, lost_reason: str = ""
) -> Lead:
    """Move a lead to another stage. A lost stage needs the reason it was lost."""
    lead_work_check(actor, lead)
    lead = lead_locked(lead)
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

"""Reads for the pipeline's stages."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from leads.models import Lead, PipelineStage


def pipeline_stages(*, include_hidden: bool = False) -> QuerySet[PipelineStage]:
    stages = PipelineStage.objects.order_by("position", "id")
    return stages if include_hidden else stages.filter(is_active=True)


def pipeline_stages_with_use() -> QuerySet[PipelineStage]:
    """For the settings page: each stage with whether any lead is in it (EXISTS reads one
    index entry per stage, where a count would read every lead)."""
    return PipelineStage.objects.order_by("position", "id").annotate(
        in_use=Exists(Lead.objects.filter(stage=OuterRef("pk")))
    )


def pipeline_stage_get(*, stage_id: int | str) -> PipelineStage | None:
    return PipelineStage.objects.filter(pk=stage_id).first()


def pipeline_lost_stage_ids() -> list[int]:
    """The stages that mean a lead was lost: moving there asks why."""
    return list(
        PipelineStage.objects.filter(kind=PipelineStage.Kind.LOST).values_list("pk", flat=True)
    )

"""Settings → Pipeline: the agency's stages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import page_requires
from leads import selectors, services
from leads.forms import form_errors_add
from leads.models import PipelineStage
from leads.stages import forms


def _pipeline_page(request: HttpRequest, form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "leads/stages/pipeline.html",
        {
            "section": "settings",
            "stages": selectors.pipeline_stages_with_use(),
            "form": form or forms.PipelineStageForm(initial={"kind": "open", "is_active": True}),
            "kinds": PipelineStage.Kind.choices,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@page_requires("settings")
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _pipeline_page(request)
    form = forms.PipelineStageForm(request.POST)
    if form.is_valid():
        try:
            services.stage_create(
                actor=request.membership,
                name=form.cleaned_data["name"],
                name_ar=form.cleaned_data["name_ar"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Stage added."))
            return redirect("pipeline_settings")
    return _pipeline_page(request, form, status=400)


def _stage_or_404(stage_id: int) -> PipelineStage:
    stage = selectors.pipeline_stage_get(stage_id=stage_id)
    if stage is None:
        raise Http404
    return stage


@require_POST
@page_requires("settings")
def pipeline_stage_update(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    form = forms.PipelineStageForm(request.POST)
    if form.is_valid():
        try:
            services.stage_update(
                actor=request.membership,
                stage=stage,
                name=form.cleaned_data["name"],
                name_ar=form.cleaned_data["name_ar"],
                kind=form.cleaned_data["kind"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Stage saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("pipeline_settings")


@require_POST
@page_requires("settings")
def pipeline_stage_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.stage_move(actor=request.membership, stage=stage, offset=offset)
    return redirect("pipeline_settings")


@require_POST
@page_requires("settings")
def pipeline_stage_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    try:
        services.stage_delete(actor=request.membership, stage=stage)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("pipeline_settings")

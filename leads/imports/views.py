"""Import pages: upload → columns and preview → progress → report (admins and managers)."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import page_requires
from leads import selectors
from leads.importer.jobs import import_job_is_running
from leads.importer.parsing import max_upload_bytes, size_check
from leads.imports.forms import ImportMappingForm, ImportUploadForm
from leads.models import ImportJob
from leads.services.imports import import_job_create, import_job_resume, import_job_start

TEMPLATE = "leads/imports/job.html"
# A queued job nobody has picked up after this long may have lost its message.
STALLED_AFTER_SECONDS = 60


def importer_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return page_requires("lead_imports")(view)


@require_http_methods(["GET", "POST"])
@importer_only
def import_upload(request: HttpRequest) -> HttpResponse:
    status = 200
    too_large = _body_too_large(request)
    if too_large is not None:
        # Refused before the body is read: a 2 GB upload is not written to disk first.
        form = ImportUploadForm(data={})
        form.is_valid()
        form.errors["file"] = form.error_class(too_large.messages)
        status = 413
    else:
        form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and too_large is None:
        if form.is_valid():
            try:
                job = import_job_create(actor=request.membership, upload=form.cleaned_data["file"])
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("lead_import_job", job_id=job.pk)
        status = 400
    context = {
        "section": "leads",
        "form": form,
        "jobs": [
            _with_figures(job) for job in selectors.import_jobs_recent(actor=request.membership)
        ],
        "max_megabytes": max_upload_bytes() // (1024 * 1024),
    }
    return render(request, "leads/imports/upload.html", context, status=status)


def _body_too_large(request: HttpRequest) -> ValidationError | None:
    if request.method != "POST":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    # The form's other fields and the multipart framing take a few hundred bytes.
    try:
        size_check(length - 64 * 1024)
    except ValidationError as error:
        return error
    return None


def _with_figures(job: ImportJob) -> ImportJob:
    job.created_figure = f"{job.created_leads:,}"
    return job


def _job_context(request: HttpRequest, job: ImportJob) -> dict:
    return {
        "section": "leads",
        "job": job,
        "percent": selectors.import_job_percent(job),
        "duplicate_of": selectors.import_job_duplicate_of(job),
        "failure": selectors.import_job_failure(job),
        "partial_rows": job.mapping.get("partial_rows", 0),
        # Grouped with commas in either language, inside a left-to-right isolate (as budgets).
        "figures": {
            name: f"{getattr(job, name):,}"
            for name in (
                "total_rows",
                "processed_rows",
                "created_leads",
                "updated_leads",
                "rejected_rows",
            )
        },
        "stalled": _stalled(job),
    }


def _stalled(job: ImportJob) -> bool:
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return False
    waited = (timezone.now() - (job.started_at or job.created_at)).total_seconds()
    return waited > STALLED_AFTER_SECONDS and not import_job_is_running(job)


@require_http_methods(["GET", "POST"])
@importer_only
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.membership, job_id=job_id)
    context = _job_context(request, job)
    if job.status != ImportJob.Status.UPLOADED:
        if request.method == "POST":
            return redirect("lead_import_job", job_id=job.pk)
        return render(request, TEMPLATE, context)

    headers = list(job.mapping.get("headers", []))
    form = ImportMappingForm(
        request.POST or None, headers=headers, columns=list(job.mapping.get("columns", []))
    )
    action = request.POST.get("action", "")
    status = 200
    if request.method == "POST" and action == "start":
        if form.is_valid():
            try:
                import_job_start(job=job, actor=request.membership, columns=form.columns())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("lead_import_job", job_id=job.pk)
        status = 400
    elif request.method == "POST":
        form.is_valid()  # show the mapping's problems beside the preview
    preview = selectors.import_preview(job=job, columns=form.columns())
    context.update(
        {
            "form": form,
            "preview": preview,
            "columns": [
                (form[f"column_{index}"], preview.samples[index]) for index in range(len(headers))
            ],
        }
    )
    if request.htmx and action == "preview":
        return render(request, f"{TEMPLATE}#mapping-preview", context)
    return render(request, TEMPLATE, context, status=status)


@require_GET
@importer_only
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.membership, job_id=job_id)
    context = _job_context(request, job)
    if not request.htmx:
        return redirect("lead_import_job", job_id=job.pk)
    return render(request, f"{TEMPLATE}#progress", context)


@require_POST
@importer_only
def import_job_resume_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.membership, job_id=job_id)
    try:
        import_job_resume(job=job, actor=request.membership)
    except ValidationError:
        pass  # it finished meanwhile: the page shows the report
    return redirect("lead_import_job", job_id=job.pk)


@require_GET
@importer_only
def import_job_problems(request: HttpRequest, job_id: int) -> FileResponse:
    job = selectors.import_job_get(actor=request.membership, job_id=job_id)
    if not job.rejected_file:
        raise Http404
    stem = os.path.splitext(job.original_name)[0] or "leads"
    return FileResponse(
        job.rejected_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )

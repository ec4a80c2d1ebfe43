"""Reads for imports: recent jobs, one job, and the preview of a file with a mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership
from accounts.roles import can
from leads.importer.jobs import (
    ALREADY_IMPORTED,
    FAILED_UNREADABLE,
    import_job_format,
    import_job_plan,
)
from leads.importer.parsing import table_open
from leads.importer.rows import row_clean
from leads.inquiries import Inquiry
from leads.models import ImportJob, Interest
from leads.selectors.intake import lead_find_existing

PREVIEW_ROWS = 20


def import_jobs_recent(*, actor: Membership, limit: int = 20) -> QuerySet[ImportJob]:
    if not can(actor.role, "import_leads"):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by__user").order_by("-created_at")[:limit]


def import_job_get(*, actor: Membership, job_id: int) -> ImportJob:
    """The job, in this agency's schema only (another agency's id is simply not found)."""
    if not can(actor.role, "import_leads"):
        raise Http404
    job = ImportJob.objects.select_related("created_by__user").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def import_job_duplicate_of(job: ImportJob) -> ImportJob | None:
    """The earlier import of the same file: before a job starts (to warn that it will add
    nothing) and after it added nothing for that reason."""
    if job.status == ImportJob.Status.UPLOADED or job.error == ALREADY_IMPORTED:
        return import_job_earlier_same_file(job)
    return None


def import_job_failure(job: ImportJob) -> str:
    """The sentence saved with a failed job (a file problem found during the run), if any."""
    if job.error.startswith(f"{FAILED_UNREADABLE}: "):
        return job.error.split(": ", 1)[1]
    return ""


def import_job_percent(job: ImportJob) -> int:
    if job.status == ImportJob.Status.DONE:
        return 100
    if not job.total_rows:
        return 0
    return min(99, job.processed_rows * 100 // job.total_rows)


@dataclass
class PreviewRow:
    row_no: int
    name: str = ""
    phones: list[str] = field(default_factory=list)
    email: str = ""
    details: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rejected: bool = False
    existing_lead_id: int | None = None
    same_as_row: int | None = None

    @property
    def joins(self) -> bool:
        return self.existing_lead_id is not None or self.same_as_row is not None


@dataclass
class Preview:
    rows: list[PreviewRow]
    samples: list[str]  # per column, the first value found in the preview rows

    @property
    def new(self) -> int:
        return sum(1 for r in self.rows if not r.rejected and not r.joins)

    @property
    def joining(self) -> int:
        return sum(1 for r in self.rows if r.joins)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.rejected)


def import_preview(*, job: ImportJob, columns: list[str], limit: int = PREVIEW_ROWS) -> Preview:
    """The first rows of the file as the import will read them, with each row's problems and
    whether it joins a lead the agency already has (or a person named earlier in the file)."""
    plan = import_job_plan(job, columns)
    preview: list[PreviewRow] = []
    samples = [""] * len(plan.headers)
    seen: dict[str, int] = {}
    with job.file.open("rb") as stored, table_open(stored, import_job_format(job)) as table:
        for row_no, values in table.rows():
            for index, value in enumerate(values[: len(samples)]):
                if not samples[index] and value.strip():
                    samples[index] = value.strip()[:40]
            cleaned = row_clean(values, plan)
            row = PreviewRow(row_no=row_no, problems=cleaned.problems, rejected=cleaned.rejected)
            inquiry = cleaned.inquiry
            if inquiry is not None:
                row.name = inquiry.full_name
                row.phones = inquiry.phones
                row.email = inquiry.email
                row.details = _details(inquiry, cleaned.original_source)
                keys = [*inquiry.phones, *([inquiry.email] if inquiry.email else [])]
                row.same_as_row = next((seen[k] for k in keys if k in seen), None)
                for key in keys:
                    seen.setdefault(key, row_no)
                if row.same_as_row is None:
                    existing = lead_find_existing(phones=inquiry.phones, email=inquiry.email)
                    row.existing_lead_id = existing.pk if existing else None
            preview.append(row)
            if len(preview) >= limit:
                break
    return Preview(rows=preview, samples=samples)


def _details(inquiry: Inquiry, original_source: str) -> list[str]:
    details: list[str] = []
    if inquiry.budget_max is not None or inquiry.budget_min is not None:
        low = f"{inquiry.budget_min:,.0f}" if inquiry.budget_min is not None else ""
        high = f"{inquiry.budget_max:,.0f}" if inquiry.budget_max is not None else ""
        amount = f"{low}–{high}" if low and high else (high or low)
        details.append(f"{inquiry.budget_currency} {amount}".strip())
    if inquiry.bedrooms == 0:
        details.append(_("Studio"))
    elif inquiry.bedrooms is not None:
        details.append(
            ngettext("%(count)s bedroom", "%(count)s bedrooms", inquiry.bedrooms)
            % {"count": inquiry.bedrooms}
        )
    details += inquiry.communities
    if inquiry.interest:
        details.append(str(Interest(inquiry.interest).label))
    for value in (inquiry.nationality, inquiry.property_type, original_source):
        if value:
            details.append(value)
    return details


def import_job_earlier_same_file(job: ImportJob) -> ImportJob | None:
    """An earlier import of the very same file (same SHA-256) that went in or is going in."""
    return (
        ImportJob.objects.filter(
            file_sha256=job.file_sha256,
            pk__lt=job.pk,
            status__in=[
                ImportJob.Status.QUEUED,
                ImportJob.Status.RUNNING,
                ImportJob.Status.DONE,
            ],
        )
        .exclude(error=ALREADY_IMPORTED)
        .order_by("pk")
        .first()
    )

"""Work whose queued message was lost (a Redis restart, a worker killed before it finished, a
crash between commit and publish), found again from the database.

Every two minutes beat fans out to each active agency (core.tasks.fan_out); each agency's
`leads.tasks.lost_work_sweep` asks these selectors for imports still queued or running with no
worker holding them, and for assignment emails not yet sent, and queues them
once more. Every task is safe to deliver twice, and a short hold in the cache keeps a sweep
from piling copies on top of one already on its way.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import BigIntegerField, F
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from leads.importer.jobs import import_job_is_running
from leads.models import ImportJob, LeadActivity

# Younger work is most likely still in the queue, not lost.
GRACE = timedelta(minutes=2)
# An assignment email older than this is no longer news; the lead page shows the assignee.
NOTICE_MAX_AGE = timedelta(hours=12)
BATCH = 200


def imports_lost(*, now=None) -> list[int]:
    """Imports waiting or running for a while that no worker holds."""
    now = now or timezone.now()
    jobs = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
        created_at__lt=now - GRACE,
    ).order_by("pk")[:BATCH]
    return [job.pk for job in jobs if not import_job_is_running(job)]


def assignment_notices_unsent(*, now=None) -> list[int]:
    """Assignments of the last hours whose email was not sent (nor given up on), while the
    lead is still with that person."""
    now = now or timezone.now()
    return list(
        LeadActivity.objects.filter(
            kind=LeadActivity.Kind.ASSIGNED,
            created_at__lt=now - GRACE,
            created_at__gt=now - NOTICE_MAX_AGE,
            data__notified_at__isnull=True,
            data__notice__isnull=True,
        )
        .annotate(assignee=Cast(KT("data__assignee_id"), BigIntegerField()))
        .filter(assignee=F("lead__assignee_id"))
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )

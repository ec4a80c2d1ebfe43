"""Work whose queued message was lost (a Redis restart, a worker killed before it finished, a
crash between commit and publish) is found again from the database and queued once more.

Every two minutes beat fans out to each active agency (core.tasks.fan_out); each agency's sweep
looks for imports still queued or running with no worker holding them, and for assignment and
invitation emails not yet sent. Every task is safe to deliver twice, and a short hold in the
cache keeps a sweep from piling copies on top of one already on its way. Registered through
`leads.tasks`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from core.tasks import tenant_task

logger = logging.getLogger(__name__)

# Younger work is most likely still in the queue, not lost.
GRACE = timedelta(minutes=2)
# An assignment email older than this is no longer news; the lead page shows the assignee.
NOTICE_MAX_AGE = timedelta(hours=12)
HOLD_SECONDS = 10 * 60
BATCH = 200


def _first_time_in_a_while(kind: str, pk: int) -> bool:
    """True once per hold: the cache key is per agency (django-tenants' key function)."""
    return cache.add(f"lost-work:{kind}:{pk}", 1, timeout=HOLD_SECONDS)


def imports_lost(*, now=None) -> list[int]:
    """Imports waiting or running for a while that no worker holds."""
    from leads.imports.services import import_job_is_running
    from leads.models import ImportJob

    now = now or timezone.now()
    jobs = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
        created_at__lt=now - GRACE,
    ).order_by("pk")[:BATCH]
    return [job.pk for job in jobs if not import_job_is_running(job)]


def assignment_notices_unsent(*, now=None) -> list[int]:
    """Assignments of the last hours whose email was not sent (nor given up on), while the
    lead is still with that person."""
    from django.db.models import BigIntegerField, F
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from leads.models import LeadActivity

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


def invitations_unsent(*, now=None) -> list[int]:
    """Open invitations whose email has not gone out."""
    from accounts.models import Invitation

    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            sent_at__isnull=True,
            send_error="",
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_at__lt=now - GRACE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )


@shared_task
@tenant_task
def lost_work_sweep() -> dict:
    from accounts.services import INVITATION_EMAIL
    from core.tasks import email_queue
    from leads.imports.tasks import lead_import_run
    from leads.tasks import lead_assignment_notify

    requeued = {"imports": 0, "notices": 0, "invitations": 0}
    for job_id in imports_lost():
        if _first_time_in_a_while("import", job_id):
            lead_import_run.delay(job_id)
            requeued["imports"] += 1
    for activity_id in assignment_notices_unsent():
        if _first_time_in_a_while("notice", activity_id):
            lead_assignment_notify.delay(activity_id)
            requeued["notices"] += 1
    for invitation_id in invitations_unsent():
        if _first_time_in_a_while("invitation", invitation_id):
            email_queue(kind=INVITATION_EMAIL, object_id=invitation_id)
            requeued["invitations"] += 1
    if any(requeued.values()):
        logger.info("lost work queued again", extra=requeued)
    return requeued

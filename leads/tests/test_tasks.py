"""leads/tasks.py: work whose queued message was lost is found from the database and done once;
and the tasks queued by name are known to a process that never imported leads.tasks, as a web
process is (the inbound Meta processor, the tasks leads' services queue, beat's fan-outs)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import Membership
from core.tasks import fan_out
from leads.models import ImportJob, Lead, LeadActivity
from leads.services import Inquiry, lead_capture
from leads.services.assignment import lead_assign
from leads.services.imports import import_job_create, import_job_start
from leads.tasks import lost_work_sweep
from leads.tests.test_imports import MESSY, admin_of, fixture_upload


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def forget_holds() -> None:
    cache.delete_pattern("lost-work:*")


@pytest.fixture(autouse=True)
def _fresh_holds():
    forget_holds()
    yield
    forget_holds()


def long_ago(model, pk: int, minutes: int = 5) -> None:
    model.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_an_import_whose_message_was_lost_runs_once(agency_a):
    # given an import started, but its task never reached a worker
    actor = admin_of(agency_a)
    job = import_job_create(actor=actor, upload=fixture_upload(MESSY))
    import_job_start(job=job, actor=actor, columns=job.mapping["columns"])
    assert lost_work_sweep() == {"imports": 0, "notices": 0}  # too young to be lost

    # when the sweep comes by a few minutes later, twice
    long_ago(ImportJob, job.pk)
    first, second = lost_work_sweep(), lost_work_sweep()

    # then it ran once, to the end
    job.refresh_from_db()
    assert (job.status, job.created_leads) == (ImportJob.Status.DONE, 7)
    assert first["imports"] == 1 and second["imports"] == 0


def assigned_without_email(agency, role: str = "agent") -> tuple[Lead, LeadActivity]:
    person = Membership.objects.get(user=agency.users[role])
    lead = lead_capture(inquiry=Inquiry(source="website", phones=["050 444 1212"])).lead
    lead_assign(lead=lead, assignee=person, actor=admin_of(agency))  # on-commit never runs
    activity = lead.activities.filter(kind=LeadActivity.Kind.ASSIGNED).latest("pk")
    long_ago(LeadActivity, activity.pk)
    return lead, activity


def test_an_unsent_assignment_email_is_sent_once(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    lead, activity = assigned_without_email(agency_a)

    with django_capture_on_commit_callbacks(execute=True):
        lost_work_sweep()
    forget_holds()  # even once the hold is gone, it is not sent again
    with django_capture_on_commit_callbacks(execute=True):
        lost_work_sweep()

    emails = [e for e in outbox("email") if agency_a.users["agent"].email in e["to"]]
    assert len(emails) == 1 and f"/leads/{lead.pk}/" in emails[0]["text"]
    activity.refresh_from_db()
    assert activity.data["notified_at"]


def test_no_email_for_an_old_assignment_a_reassigned_lead_or_no_one_to_write_to(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # an assignment from yesterday: no longer news
    _, old = assigned_without_email(agency_a)
    long_ago(LeadActivity, old.pk, minutes=60 * 24)
    # a lead handed on again since (its newer assignment is too young to sweep yet)
    lead = lead_capture(inquiry=Inquiry(source="website", phones=["050 444 3434"])).lead
    lead_assign(lead=lead, assignee=admin_of(agency_a), actor=admin_of(agency_a))
    first = lead.activities.get(kind=LeadActivity.Kind.ASSIGNED)
    long_ago(LeadActivity, first.pk)
    lead_assign(
        lead=lead,
        assignee=Membership.objects.get(user=agency_a.users["manager"]),
        actor=admin_of(agency_a),
    )
    # a person who has left the agency since
    _, gone = assigned_without_email(agency_a, "manager")
    Lead.objects.filter(pk=gone.lead_id).update(assignee=gone.data["assignee_id"])
    Membership.objects.filter(pk=gone.data["assignee_id"]).update(is_active=False)

    # (each sweep is a task of its own: what it queues is published when it ends)
    with django_capture_on_commit_callbacks(execute=True):
        lost_work_sweep()
    forget_holds()
    with django_capture_on_commit_callbacks(execute=True):
        assert lost_work_sweep() == {"imports": 0, "notices": 0}

    assert outbox("email") == []
    gone.refresh_from_db()
    assert gone.data["notice"] == "no_recipient"


def test_the_dispatch_reaches_every_active_agency(agency_a, agency_b):
    connection.set_schema_to_public()
    try:
        assert fan_out("leads.tasks.lost_work_sweep") >= 2
    finally:
        connection.set_tenant(agency_a.agency)


CHECK = """
import django

django.setup()
from celery import current_app
from django.conf import settings

from leads.services.imports import RUN_TASK
from tenants import inbound

names = [RUN_TASK, "core.tasks.email_send", *inbound._processors.values()]
names += [
    entry["args"][0]
    for entry in settings.CELERY_BEAT_SCHEDULE.values()
    if entry["task"] == "core.tasks.fan_out"
]
missing = [name for name in names if name not in current_app.tasks]
assert names and not missing, missing
"""


def test_tasks_queued_by_name_are_registered_in_a_fresh_process():
    # given a new process that imports no task module itself
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aqari.settings"}

    # when it looks the named tasks up
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then every one of them is there
    assert result.returncode == 0, result.stderr[-2000:]

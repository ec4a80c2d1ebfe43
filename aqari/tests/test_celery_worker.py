"""A task queued inside agency A's context runs in A's schema, on a real worker and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import Membership
from aqari.celery import app
from aqari.tests.tasks_for_tests import report_schema_and_membership

# The worker is another process and sees committed rows only: the two agencies are committed
# once per session, and these tests write nothing.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def real_worker(two_agencies, django_db_blocker):
    """A real `celery worker` process on the test database and the test Redis database."""
    test_db = connection.settings_dict["NAME"]
    url = urlparse(os.environ["DATABASE_URL"])
    env = {**os.environ, "DATABASE_URL": url._replace(path=f"/{test_db}").geturl()}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aqari",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-I",
            "aqari.tests.tasks_for_tests",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        start_new_session=True,
    )
    app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _membership_id(fixture, role: str) -> int:
    with schema_context(fixture.schema_name):
        return Membership.objects.get(user_id=fixture.users[role].pk).pk


def test_task_runs_in_the_schema_of_the_agency_that_queued_it(real_worker, two_agencies):
    # given a membership id that exists in both agencies' schemas with different roles
    a, b = two_agencies["a"], two_agencies["b"]
    agent_id_in_a = _membership_id(a, "agent")

    # when the task is queued from inside each agency
    with schema_context(a.schema_name):
        from_a = report_schema_and_membership.delay(agent_id_in_a)
    with schema_context(b.schema_name):
        from_b = report_schema_and_membership.delay(agent_id_in_a)

    # then each ran in its own agency's schema
    result_a = from_a.get(timeout=20)
    result_b = from_b.get(timeout=20)
    assert result_a == {"schema": a.schema_name, "role": "agent"}
    assert result_b["schema"] == b.schema_name
    with schema_context(b.schema_name):
        expected_in_b = Membership.objects.filter(pk=agent_id_in_a).first()
    assert result_b["role"] == (expected_in_b.role if expected_in_b else None)


def test_task_without_an_agency_refuses_to_run(real_worker):
    # given the public schema (no agency)
    connection.set_schema_to_public()

    # when an agency task is queued
    result = report_schema_and_membership.delay(1)

    # then it fails loudly instead of reading the public schema
    with pytest.raises(Exception, match="must run inside an agency"):
        result.get(timeout=20)


def test_work_goes_to_the_queue_of_its_kind():
    # given the routes in settings
    router = app.amqp.router

    def queue_of(name: str) -> str:
        return router.route({}, name)["queue"].name

    # then email goes out on `outbound`, webhook processing on `inbound`, sweeps on
    # `maintenance`, and everything else on the default queue, all consumed by a plain worker
    assert queue_of("core.tasks.email_send") == "outbound"
    assert queue_of("leads.tasks.meta_lead_process") == "inbound"
    assert queue_of("core.tasks.fan_out") == "maintenance"
    assert queue_of("tenants.tasks.webhook_events_sweep") == "maintenance"
    assert queue_of("leads.tasks.lead_import_run") == "celery"
    assert {q.name for q in app.conf.task_queues} == {
        "celery",
        "outbound",
        "inbound",
        "ai",
        "maintenance",
    }

"""Tasks queued by name must be known to a process that never imported leads.tasks, as a web
process is: the inbound Meta processor, the tasks leads' services queue, and beat's fan-outs."""

import os
import subprocess
import sys

from django.conf import settings

CHECK = """
import django

django.setup()
from celery import current_app
from django.conf import settings

from leads.services.assignment import NOTIFY_TASK
from leads.services.imports import RUN_TASK
from tenants import inbound

names = [NOTIFY_TASK, RUN_TASK, *inbound._processors.values()]
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

"""What every task shares: the tenant guard, and one fan-out from beat to every agency.

Beat runs in the public schema. A job that must run in each agency is scheduled as
`core.tasks.fan_out` with the agency task's name; the fan-out queues that task once in each
active agency's schema (tenant-schemas-celery sends the schema of the connection the task is
queued from), a bounded batch at a time, and queues itself again for the next batch, so a
platform of many agencies never holds one long beat job.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable

from celery import current_app, shared_task
from django.core.cache import cache
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from core.emails import email_deliver
from core.providers.email import EmailSendError

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 100


class MissingTenant(RuntimeError):
    pass


def tenant_task(func: Callable) -> Callable:
    """Refuse to run an agency task without an agency.

    A task queued with no schema header would silently run in the public schema; we fail loudly
    instead (beat tasks fan out from a public dispatcher that names each schema).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.schema_name == get_public_schema_name():
            raise MissingTenant(f"{func.__name__} must run inside an agency's schema.")
        return func(*args, **kwargs)

    return wrapper


def _active_schemas(*, after_pk: int, limit: int) -> list[tuple[int, str]]:
    """The next agencies that take background work, in id order. The tenant model says which
    of its rows are active (`fan_out_queryset`), so core needs no knowledge of its fields."""
    model = get_tenant_model()
    rows = model.fan_out_queryset() if hasattr(model, "fan_out_queryset") else model.objects.all()
    return list(
        rows.exclude(schema_name=get_public_schema_name())
        .filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "schema_name")[:limit]
    )


@shared_task
def fan_out(
    task_name: str,
    *,
    after_pk: int = 0,
    jitter_seconds: float = 0,
    expires: float | None = None,
    batch: int = FAN_OUT_BATCH,
) -> int:
    """Public (beat): queue `task_name` once in each active agency, `batch` agencies at a time.

    `jitter_seconds` spreads the agencies' runs so they don't all start at once; `expires`
    drops a copy that waited so long the next beat run has taken its place. Returns how many
    agencies this batch reached.
    """
    task = current_app.tasks[task_name]
    schemas = _active_schemas(after_pk=after_pk, limit=batch)
    for _pk, schema_name in schemas:
        with schema_context(schema_name):
            task.apply_async(
                countdown=random.uniform(0, jitter_seconds) if jitter_seconds else None,  # noqa: S311
                expires=expires,
            )
    if len(schemas) == batch:
        fan_out.apply_async(
            args=(task_name,),
            kwargs={
                "after_pk": schemas[-1][0],
                "jitter_seconds": jitter_seconds,
                "expires": expires,
                "batch": batch,
            },
            expires=expires,
        )
    return len(schemas)


EMAIL_MAX_RETRIES = 6
EMAIL_RETRY_BASE_SECONDS = 30


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES)
def email_send(self, kind: str, object_id: int) -> str:
    """Send one registered kind of email about one row (core.emails). Runs outside any
    transaction; retried with back-off only on errors the provider calls retryable. After the
    last retry the row stays unsent and the app's sweep offers it again later."""
    try:
        return email_deliver(kind=kind, object_id=object_id)
    except EmailSendError as error:
        raise self.retry(
            exc=error, countdown=EMAIL_RETRY_BASE_SECONDS * 2**self.request.retries
        ) from error


def requeue_hold(kind: str, pk: int, *, seconds: int = 10 * 60) -> bool:
    """For sweeps that queue lost work again: True the first time in `seconds` for this item,
    so a sweep does not pile copies on one already on its way. The cache key is per agency
    (django-tenants' key function)."""
    return cache.add(f"lost-work:{kind}:{pk}", 1, timeout=seconds)


def email_queue(*, kind: str, object_id: int) -> None:
    """Send this kind of email about this row once the current transaction commits (at once
    outside one). Safe to call more than once: the row and the idempotency key send one."""
    # Published in the schema of the change that owes the email, whichever schema the
    # connection is in when the commit runs.
    schema_name = connection.schema_name

    def publish() -> None:
        with schema_context(schema_name):
            email_send.delay(kind, object_id)

    transaction.on_commit(publish)

"""A task used only by the worker test: it reports the schema it ran in."""

from celery import shared_task
from django.db import connection

from accounts.models import Membership
from core.tasks import tenant_task


@shared_task
@tenant_task
def report_schema_and_membership(membership_id: int) -> dict:
    membership = Membership.objects.filter(pk=membership_id).first()
    return {
        "schema": connection.schema_name,
        "role": membership.role if membership else None,
    }

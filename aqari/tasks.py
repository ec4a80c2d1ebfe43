"""Helpers every task uses."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import connection
from django_tenants.utils import get_public_schema_name


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

"""The development outbox: what the fake providers would have sent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_tenants.utils import get_public_schema_name

from core.providers import fake_outbox


def _dev_tools_only(view):
    """Outside development the page does not exist, signed in or not."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEV_TOOLS:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@_dev_tools_only
@login_required
def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Signed-in staff only: an agency's members see their agency's items, platform staff on the
    public host see everything."""
    items = fake_outbox()
    if connection.schema_name != get_public_schema_name():
        items = [i for i in items if i.get("schema") == connection.schema_name]
    elif not request.user.is_staff:
        raise Http404
    return render(request, "core/dev_outbox.html", {"items": items})

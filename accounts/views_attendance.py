"""The attendance page: a big check-in / check-out button for staff, and who is on duty today
for managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import attendance
from accounts.roles import can, page_requires

TEMPLATE = "accounts/attendance.html"


def _context(request: HttpRequest, *, error: str = "") -> dict:
    membership = request.membership
    open_check_in = attendance.attendance_open_check_in(membership=membership)
    day_start = attendance.local_day_start()
    on_duty = open_check_in is not None and open_check_in.checked_in_at >= day_start
    last_today = (
        membership.check_ins.filter(checked_in_at__gte=day_start).order_by("-checked_in_at").first()
    )
    can_see_team = can(membership.role, "see_attendance")
    return {
        "section": "attendance",
        "enabled": request.tenant.attendance_enabled,
        "on_duty": on_duty,
        "check_in": open_check_in if on_duty else last_today,
        "can_check_in": can(membership.role, "check_in"),
        "can_see_team": can_see_team,
        "can_change_settings": can(membership.role, "change_agency_settings"),
        "team": attendance.attendance_today() if can_see_team else [],
        "error": error,
    }


@page_requires("attendance")
def attendance_page(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(request))


def _act(request: HttpRequest, action, success: str) -> HttpResponse:
    try:
        action(actor=request.membership)
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            return render(request, TEMPLATE + "#duty-card", _context(request, error=message))
        return render(request, TEMPLATE, _context(request, error=message), status=400)
    if request.htmx:
        return render(request, TEMPLATE + "#duty-card", _context(request))
    messages.success(request, success)
    return redirect("attendance")


@require_POST
@page_requires("attendance")
def attendance_check_in(request: HttpRequest) -> HttpResponse:
    return _act(request, attendance.attendance_check_in, _("You're checked in. Have a good day."))


@require_POST
@page_requires("attendance")
def attendance_check_out(request: HttpRequest) -> HttpResponse:
    return _act(request, attendance.attendance_check_out, _("You're checked out. See you soon."))

"""The Tasks page: each person's follow-ups by when they are due, ticked off in place."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import can, page_requires
from leads import selectors, services
from leads.forms import member_choices
from leads.selectors.assignment import member_names_all


def _board_context(request: HttpRequest, whose: str) -> dict:
    actor = request.membership
    names = member_names_all()
    sees_all = can(actor.role, "see_all_leads")
    board = selectors.follow_up_board(actor=actor, whose=whose)
    return {
        "section": "tasks",
        "board": board,
        "groups": [
            ("overdue", _("Overdue"), board.overdue),
            ("today", _("Today"), board.today),
            ("upcoming", _("Coming up"), board.upcoming),
            ("undated", _("No due date"), board.undated),
        ],
        "names": names,
        "sees_all": sees_all,
        "people": member_choices(names) if sees_all else [],
        "now_time": timezone.now(),
    }


def _follow_ups_url(whose: str) -> str:
    url = reverse("follow_ups")
    return f"{url}?{urlencode({'whose': whose})}" if whose != "me" else url


@require_GET
@page_requires("tasks")
def follow_ups_page(request: HttpRequest) -> HttpResponse:
    context = _board_context(request, request.GET.get("whose", "me"))
    if request.htmx and request.htmx.target == "task-board":
        return render(request, "leads/follow_ups/follow_ups.html#board", context)
    return render(request, "leads/follow_ups/follow_ups.html", context)


@require_POST
@page_requires("tasks")
def follow_up_toggle(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    actor = request.membership
    follow_up = selectors.follow_up_for_actor(actor=actor, follow_up_id=follow_up_id)
    if follow_up is None:
        raise Http404
    follow_up = services.follow_up_toggle(follow_up=follow_up, actor=actor)
    message = _("Task done.") if follow_up.done_at else _("Task reopened.")
    whose = selectors.follow_ups_whose(actor=actor, whose=request.POST.get("whose", "me"))
    if request.htmx:
        context = _board_context(request, whose)
        context["announce"] = message
        return render(request, "leads/follow_ups/follow_ups.html#board", context)
    messages.success(request, message)
    return redirect(_follow_ups_url(whose))

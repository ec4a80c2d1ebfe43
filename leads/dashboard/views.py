"""The dashboard: today's figures, at the root of the agency's host."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import can_open, page_requires
from leads import selectors


@page_requires("dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = None
    if can_open(request.membership.role, "leads"):
        figures = selectors.dashboard_figures(actor=request.membership)
    return render(
        request,
        "leads/dashboard/dashboard.html",
        {"section": "dashboard", "figures": figures, "names": selectors.member_names_all()},
    )

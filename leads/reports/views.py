"""The Reports page: first-response time per agent and per source."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import page_requires
from leads.reports.forms import DEFAULT_DAYS, QUICK_RANGES, ReportRangeForm, agency_today
from leads.selectors.reports import response_time_report


@page_requires("reports")
def reports_page(request: HttpRequest) -> HttpResponse:
    form = ReportRangeForm(request.GET)
    today = agency_today()
    if form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    else:
        # The errors show above the default range, so the page is never empty.
        date_from, date_to = today - timedelta(days=DEFAULT_DAYS - 1), today
    report = response_time_report(date_from=date_from, date_to=date_to)
    quick_ranges = [
        {
            "days": days,
            "from": today - timedelta(days=days - 1),
            "to": today,
            "current": date_to == today and (date_to - date_from).days == days - 1,
        }
        for days in QUICK_RANGES
    ]
    context = {
        "section": "reports",
        "form": form,
        "report": report,
        "quick_ranges": quick_ranges,
    }
    template = "leads/reports/reports.html"
    if request.htmx and not request.htmx.boosted:
        template += "#report"
    return render(request, template, context)

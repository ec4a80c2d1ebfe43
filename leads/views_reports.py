"""The Reports page: first-response time per agent and per source."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import page_requires
from leads.reports import MAX_RANGE_DAYS, response_time_report
from tenants.selectors import agency_timezone

DEFAULT_DAYS = 30
QUICK_RANGES = (7, 30, 90)


def agency_today() -> date:
    return timezone.localtime(timezone.now(), agency_timezone()).date()


class ReportRangeForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)

    def clean(self):
        data = super().clean()
        today = agency_today()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date is after the end date. Swap them."))
        if (date_to - date_from).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
            )
        data["date_from"], data["date_to"] = date_from, date_to
        return data


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

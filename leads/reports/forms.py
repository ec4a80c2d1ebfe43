"""Forms of the reports page."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.selectors.reports import MAX_RANGE_DAYS
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

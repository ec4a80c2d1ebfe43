"""Forms of follow-ups (added from the lead page)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.forms import DateInput, TimeInput, text
from leads.selectors.calendar import agency_zone

REMIND_CHOICES = [
    ("", _("No reminder")),
    ("0", _("At the due time")),
    ("15", _("15 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
]


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200, widget=text())
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
    due_time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput)
    remind = forms.ChoiceField(label=_("Reminder"), choices=REMIND_CHOICES, required=False)

    def clean(self):
        cleaned = super().clean()
        day, time, remind = cleaned.get("due_date"), cleaned.get("due_time"), cleaned.get("remind")
        if time and not day:
            self.add_error("due_date", _("Choose the day the task is due."))
            return cleaned
        due_at = None
        if day:
            # A task due "on a day" without a time is due at the end of the working day.
            due_at = dt.datetime.combine(day, time or dt.time(18, 0), tzinfo=agency_zone())
        if remind and due_at is None:
            self.add_error("remind", _("Set a due date to get a reminder."))
        cleaned["due_at"] = due_at
        cleaned["remind_at"] = (
            due_at - dt.timedelta(minutes=int(remind)) if remind and due_at else None
        )
        return cleaned

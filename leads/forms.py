"""Forms of the lead pages. They parse and validate input; the services decide."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from accounts.roles import can
from leads.models import Interest, PipelineStage, Source
from leads.selectors.leads import LeadFilters, agency_zone


def stage_label(stage: PipelineStage) -> str:
    """The stage's name in the reader's language, when the agency gave one."""
    if (get_language() or "").startswith("ar") and stage.name_ar:
        return stage.name_ar
    return stage.name


OFF = {"autocomplete": "off"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None) -> None:  # noqa: A002 - Django's name
        super().__init__(attrs={**OFF, **(attrs or {})}, format=format or "%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, format=None) -> None:  # noqa: A002 - Django's name
        super().__init__(attrs={**OFF, **(attrs or {})}, format=format or "%H:%M")


def text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={**OFF, **attrs})


def number() -> forms.NumberInput:
    return forms.NumberInput(attrs=OFF)


def _stage_choices(*, include_hidden: bool = False, blank: str | None = None) -> list:
    stages = PipelineStage.objects.order_by("position", "id")
    if not include_hidden:
        stages = stages.filter(is_active=True)
    choices = [(str(s.pk), stage_label(s)) for s in stages]
    return [("", blank), *choices] if blank is not None else choices


def member_choices(names: dict[int, str]) -> list[tuple[str, str]]:
    members = Membership.objects.filter(
        is_active=True, role__in=["agent", "manager", "admin"]
    ).order_by("role", "id")
    return [(str(m.pk), names.get(m.pk) or _("Team member")) for m in members]


# --- the list ---------------------------------------------------------------------------------


class LeadFilterForm(forms.Form):
    """The list's filters, read from the query string. Invalid values are dropped with a
    message next to the field, never a server error."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *Source.choices]
    )
    tag = forms.CharField(label=_("Tag"), max_length=40, required=False, widget=text())
    community = forms.CharField(label=_("Community"), max_length=80, required=False)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput)
    created_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput)
    budget_min = forms.DecimalField(
        label=_("Budget from"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=number(),
    )
    budget_max = forms.DecimalField(
        label=_("Budget up to"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=number(),
    )

    FILTER_FIELDS = (
        "stage",
        "assignee",
        "source",
        "tag",
        "community",
        "created_from",
        "created_to",
        "budget_min",
        "budget_max",
    )

    def __init__(self, *args, actor: Membership, names: dict[int, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["stage"].choices = _stage_choices(include_hidden=True, blank=_("Any stage"))
        assignees = [("", _("Anyone")), ("me", _("Me"))]
        if can(actor.role, "see_all_leads"):
            assignees += [("none", _("Unassigned")), *member_choices(names)]
        else:
            del self.fields["assignee"]
        if "assignee" in self.fields:
            self.fields["assignee"].choices = assignees

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("The highest budget is below the lowest."))
        return cleaned

    def filters(self) -> LeadFilters:
        """The valid part of the input as filters (an invalid field is ignored)."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: data.get(name) for name in self.fields if name not in self.errors}
        stage = valid.get("stage")
        return LeadFilters(
            query=(valid.get("q") or "").strip(),
            stage_id=int(stage) if stage and str(stage).isdigit() else None,
            assignee=valid.get("assignee") or "",
            source=valid.get("source") or "",
            tag=(valid.get("tag") or "").strip(),
            community=(valid.get("community") or "").strip(),
            created_from=valid.get("created_from"),
            created_to=valid.get("created_to"),
            budget_min=valid.get("budget_min"),
            budget_max=valid.get("budget_max"),
        )

    def active_count(self) -> int:
        if not self.is_bound:
            return 0
        return sum(1 for name in self.FILTER_FIELDS if self.data.get(name))

    def query_string(self) -> str:
        """The valid filters as a query string: what a saved view stores and links keep."""
        if not self.is_bound:
            return ""
        pairs = []
        for name in ("q", *self.FILTER_FIELDS):
            if name in self.fields and name not in self.errors:
                value = self.data.get(name, "")
                if value not in ("", None):
                    pairs.append((name, str(value)[:200]))
        return urlencode(pairs)


class BulkForm(forms.Form):
    ASSIGN, STAGE, TAG, EXPORT = "assign", "stage", "tag", "export"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ASSIGN, _("Assign to")),
            (STAGE, _("Move to stage")),
            (TAG, _("Add tag")),
            (EXPORT, _("Export as CSV")),
        ],
    )
    lead = forms.TypedMultipleChoiceField(coerce=int, required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    lost_reason = forms.CharField(label=_("Why was it lost?"), max_length=200, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=40, required=False)

    def __init__(self, *args, actor: Membership, names: dict[int, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Ids are checked against what the actor may see by the selector, not here.
        self.fields["lead"].choices = [
            (value, value) for value in (self.data.getlist("lead") if self.is_bound else [])
        ]
        self.fields["assignee"].choices = [("none", _("No one")), *member_choices(names)]
        self.fields["stage"].choices = _stage_choices(blank="")
        actions = []
        for value, label in self.fields["action"].choices:
            if value == self.ASSIGN and not can(actor.role, "assign_leads"):
                continue
            if value == self.EXPORT and not can(actor.role, "export_leads"):
                continue
            actions.append((value, label))
        self.fields["action"].choices = actions

    def clean_lead(self) -> list[int]:
        leads = self.cleaned_data.get("lead") or []
        if not leads:
            raise forms.ValidationError(_("Select at least one lead first."))
        return list(dict.fromkeys(leads))

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == self.ASSIGN and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choose who gets these leads."))
        if action == self.STAGE and not cleaned.get("stage"):
            self.add_error("stage", _("Choose the stage to move them to."))
        if action == self.TAG and not (cleaned.get("tag") or "").strip():
            self.add_error("tag", _("Type the tag to add."))
        return cleaned


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name this view"), max_length=60)


# --- the lead page ----------------------------------------------------------------------------


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"))
    lost_reason = forms.CharField(label=_("Why was it lost?"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = _stage_choices()
        self.lost_stage_values = [
            str(pk)
            for pk in PipelineStage.objects.filter(kind=PipelineStage.Kind.LOST).values_list(
                "pk", flat=True
            )
        ]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea)


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


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class TagsForm(forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        max_length=900,
        required=False,
        widget=text(),
        help_text=_("Separate tags with commas, for example: hot, cash buyer, JVC."),
    )

    def tag_list(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").replace("،", ",").split(",")]


class MergeForm(forms.Form):
    other = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[
            ("call", _("Call")),
            ("whatsapp", _("WhatsApp")),
            ("email", _("Email")),
            ("sms", _("SMS")),
        ]
    )
    note = forms.CharField(label=_("What was said (optional)"), max_length=2000, required=False)


class LeadCreateForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name"), max_length=150, required=False, widget=text(autocomplete="off")
    )
    phone = forms.CharField(
        label=_("Mobile"), max_length=40, required=False, widget=text(autocomplete="off")
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    interest = forms.ChoiceField(
        label=_("Looking to"), required=False, choices=[("", "—"), *Interest.choices]
    )
    community = forms.CharField(label=_("Community"), max_length=80, required=False)
    budget_max = forms.DecimalField(
        label=_("Budget up to"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=number(),
    )
    message = forms.CharField(
        label=_("Notes from the first conversation"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not self.errors:
            raise forms.ValidationError(_("Give at least a phone number or an email address."))
        return cleaned


# --- pipeline settings ------------------------------------------------------------------------


class PipelineStageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, widget=text())
    name_ar = forms.CharField(
        label=_("Name in Arabic"), max_length=60, required=False, widget=text()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineStage.Kind.choices)
    is_active = forms.BooleanField(label=_("Shown"), required=False, initial=True)

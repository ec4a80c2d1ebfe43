"""Forms of the lead list."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from accounts.roles import can
from leads.forms import DateInput, budget_field, member_choices, stage_choices, text
from leads.models import Source
from leads.selectors.lists import LeadFilters


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
    budget_min = budget_field(_("Budget from"))
    budget_max = budget_field(_("Budget up to"))

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
        self.fields["stage"].choices = stage_choices(include_hidden=True, blank=_("Any stage"))
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
        self.fields["stage"].choices = stage_choices(blank="")
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

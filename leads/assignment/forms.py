"""Forms of Settings → Assignment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from leads.models import Source

OFF = {"autocomplete": "off"}


# The languages Dubai brokerages most often staff for; a lead's preferred language is
# matched on its first part ("ar-AE" matches "ar").
LANGUAGE_CHOICES = [
    ("ar", gettext_lazy("Arabic")),
    ("en", gettext_lazy("English")),
    ("ru", gettext_lazy("Russian")),
    ("hi", gettext_lazy("Hindi")),
    ("ur", gettext_lazy("Urdu")),
    ("fa", gettext_lazy("Persian")),
    ("fr", gettext_lazy("French")),
    ("zh", gettext_lazy("Chinese")),
]


class AssignmentRuleForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, widget=forms.TextInput(attrs=OFF)
    )
    position = forms.IntegerField(
        label=gettext_lazy("Order"),
        min_value=0,
        max_value=999,
        initial=1,
        widget=forms.NumberInput(attrs=OFF),
        help_text=gettext_lazy("Rules are tried from the lowest number up."),
    )
    sources = forms.MultipleChoiceField(
        label=gettext_lazy("Only leads from"),
        choices=Source.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Only leads who speak"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    communities = forms.CharField(
        label=gettext_lazy("Only leads interested in"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Communities, separated by commas, like Dubai Marina, JVC."),
        widget=forms.TextInput(attrs=OFF),
    )
    agents = forms.MultipleChoiceField(
        label=gettext_lazy("Hand leads in turn to"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one person to receive leads.")},
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, members=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m, _user in members}
        self.fields["agents"].choices = [
            (str(m.pk), f"{user.full_name or user.email} · {m.get_role_display()}")
            for m, user in members
        ]

    def cleaned_communities(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["communities"].split(",") if c.strip()]


class AgencyOptionsForm(forms.Form):
    attendance_enabled = forms.BooleanField(
        label=gettext_lazy("Attendance check-in"), required=False
    )
    first_response_target_minutes = forms.IntegerField(
        label=gettext_lazy("First response target (minutes)"),
        min_value=1,
        max_value=1440,
        widget=forms.NumberInput(attrs=OFF),
    )

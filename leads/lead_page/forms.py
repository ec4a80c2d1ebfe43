"""Forms of the lead pages. They parse and validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads import selectors
from leads.forms import budget_field, stage_choices, text
from leads.models import Interest

# --- the lead page ----------------------------------------------------------------------------


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"))
    lost_reason = forms.CharField(label=_("Why was it lost?"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stage_choices()
        self.lost_stage_values = [str(pk) for pk in selectors.pipeline_lost_stage_ids()]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea)


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
    budget_max = budget_field(_("Budget up to"))
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

"""Forms of the stage settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.forms import text
from leads.models import PipelineStage


class PipelineStageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, widget=text())
    name_ar = forms.CharField(
        label=_("Name in Arabic"), max_length=60, required=False, widget=text()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineStage.Kind.choices)
    is_active = forms.BooleanField(label=_("Shown"), required=False, initial=True)

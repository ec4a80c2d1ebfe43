"""Forms of Settings → API keys."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, like “Website” or “Zapier”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

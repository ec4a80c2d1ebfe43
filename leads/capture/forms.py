"""Forms of Settings → Website forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leads.services.capture import capture_origin_normalise


class CaptureFormForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("For you and your team, e.g. “Website contact page” or “Dubai Hills landing”."),
    )
    allowed_origins = forms.CharField(
        label=_("Websites allowed to use it (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One address per line, like https://www.example.ae. Leave empty to accept the form "
            "from any website."
        ),
    )

    def clean_allowed_origins(self) -> list[str]:
        text = self.cleaned_data.get("allowed_origins") or ""
        lines = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
        problems: list[str] = []
        for line in lines:
            try:
                capture_origin_normalise(line)
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise ValidationError(problems)
        return lines

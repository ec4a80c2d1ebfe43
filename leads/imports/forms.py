"""Forms of the import pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leads.importer.mapping import FIELD_CHOICES, mapping_clean


class ImportUploadForm(forms.Form):
    # The formats and the size limit are explained beside the field in the template.
    file = forms.FileField(
        label=_("Lead file"),
        error_messages={"required": _("Choose the file to import.")},
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which lead field it fills."""

    def __init__(self, *args, headers: list[str], columns: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, heading in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=heading or _("Column %(number)s") % {"number": index + 1},
                choices=FIELD_CHOICES,
                required=False,
                initial=columns[index] if index < len(columns) else "",
            )

    def columns(self) -> list[str]:
        """The chosen fields, or the initial ones for a form that was not submitted."""
        chosen = []
        for index in range(len(self.headers)):
            name = f"column_{index}"
            if self.is_bound:
                value = self.data.get(self.add_prefix(name), "")
                valid = {key for key, _label in FIELD_CHOICES}
                chosen.append(value if value in valid else "")
            else:
                chosen.append(self.fields[name].initial or "")
        return chosen

    def clean(self):
        cleaned = super().clean()
        try:
            mapping_clean(self.columns(), self.headers)
        except ValidationError as error:
            for message in error.messages:
                self.add_error(None, message)
        return cleaned

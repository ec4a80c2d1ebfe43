"""Form pieces every area of leads shares: widgets, stage labels and choices, people."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from leads import selectors
from leads.models import PipelineStage


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


def budget_field(label) -> forms.DecimalField:
    """An amount of money as the lead's budget columns hold it."""
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_digits=14, decimal_places=2, widget=number()
    )


def number() -> forms.NumberInput:
    return forms.NumberInput(attrs=OFF)


def stage_choices(*, include_hidden: bool = False, blank: str | None = None) -> list:
    choices = [
        (str(s.pk), stage_label(s))
        for s in selectors.pipeline_stages(include_hidden=include_hidden)
    ]
    return [("", blank), *choices] if blank is not None else choices


def member_choices(names: dict[int, str]) -> list[tuple[str, str]]:
    members = selectors.members_who_work_leads()
    return [(str(m.pk), names.get(m.pk) or _("Team member")) for m in members]


def form_errors_add(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)

from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

from accounts import selectors
from accounts.models import Role, User


class AgencyLoginForm(LoginForm):
    """Signs in only members of the agency whose host this is (and platform staff on the
    platform host)."""

    def clean(self):
        cleaned = super().clean()
        user = getattr(self, "user", None)
        if self._errors or user is None:
            return cleaned
        if connection.schema_name == get_public_schema_name():
            if not user.is_staff:
                self.user = None
                raise ValidationError(
                    _(
                        "This address is for platform staff. Sign in at your agency's own "
                        "address instead."
                    ),
                    code="not_platform_staff",
                )
        elif selectors.membership_for_user(user_id=user.pk) is None:
            self.user = None
            raise ValidationError(
                _(
                    "This account is not a member of this agency. Sign in at your own "
                    "agency's address, or ask this agency's admin for an invitation."
                ),
                code="not_a_member",
            )
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        # The invitee's address, not the admin's own: no autofill.
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ. Type the same one twice."))
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("en", "English"), ("ar", "العربية")])
    next = forms.CharField(required=False)

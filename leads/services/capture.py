"""Writes for website forms: the admin's capture forms, and a form's submissions, which end in
`lead_capture`."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import can
from leads.inquiries import Inquiry
from leads.inquiries.fields import inquiry_from_fields
from leads.models import CaptureForm, Source
from leads.services.intake import CaptureResult, lead_capture

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
MAX_ALLOWED_ORIGINS = 20


# --- Capture forms (settings) ----------------------------------------------------------------


def capture_origin_normalise(value: str) -> str:
    """`https://www.example.ae/contact` → `https://www.example.ae`: browsers send the origin
    (scheme, host, port) only, so that is what we compare."""
    text = (value or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            _("“%(value)s” is not a website address. Write it like https://www.example.ae.")
            % {"value": value.strip()[:200]},
            code="invalid_origin",
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ValidationError(
            _("“%(value)s” has a port number that is not valid.") % {"value": value.strip()[:200]},
            code="invalid_origin",
        ) from error
    default_port = {"http": 80, "https": 443}[parts.scheme]
    # Browsers send an international domain in its ASCII (punycode) form.
    host = parts.hostname if parts.hostname.isascii() else parts.hostname.encode("idna").decode()
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{host.lower()}{suffix}"


def _check_may_manage(actor: Membership) -> None:
    if not can(actor.role, "manage_capture_forms"):
        raise PermissionDenied(_("Only the agency's admin can manage website forms."))


@transaction.atomic
def capture_form_create(
    *, actor: Membership, name: str, allowed_origins: list[str] | None = None
) -> CaptureForm:
    _check_may_manage(actor)
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the form a name, for example “Website contact page”.")]
    origins: list[str] = []
    for raw in allowed_origins or []:
        if not raw.strip():
            continue
        try:
            origin = capture_origin_normalise(raw)
        except ValidationError as error:
            errors.setdefault("allowed_origins", []).extend(error.messages)
        else:
            if origin not in origins:
                origins.append(origin)
    if len(origins) > MAX_ALLOWED_ORIGINS:
        errors.setdefault("allowed_origins", []).append(
            _("List at most %(count)d websites.") % {"count": MAX_ALLOWED_ORIGINS}
        )
    if errors:
        raise ValidationError(errors)
    capture_form = CaptureForm(
        name=name[:100], token=secrets.token_urlsafe(32), allowed_origins=origins
    )
    capture_form.full_clean()
    capture_form.save()
    logger.info(
        "capture form created", extra={"capture_form_id": capture_form.pk, "actor_id": actor.pk}
    )
    return capture_form


@transaction.atomic
def capture_form_revoke(*, actor: Membership, capture_form: CaptureForm) -> CaptureForm:
    _check_may_manage(actor)
    capture_form = CaptureForm.objects.select_for_update().get(pk=capture_form.pk)
    if capture_form.revoked_at is None:
        capture_form.revoked_at = timezone.now()
        capture_form.save(update_fields=["revoked_at"])
        logger.info(
            "capture form revoked", extra={"capture_form_id": capture_form.pk, "actor_id": actor.pk}
        )
    return capture_form


def capture_form_allows_origin(*, capture_form: CaptureForm, origin: str | None) -> bool:
    """A form with no listed websites takes submissions from anywhere. A request with no
    `Origin` (a server posting for the site) is not a browser on another site, so it passes."""
    if not capture_form.allowed_origins or not origin:
        return True
    try:
        return capture_origin_normalise(origin) in capture_form.allowed_origins
    except ValidationError:
        return False


# --- Website submissions ---------------------------------------------------------------------


class SubmissionInvalid(Exception):
    """Field-by-field problems, keyed by the names the sender used."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("invalid submission")
        self.fields = fields


def capture_form_submit(
    *,
    capture_form: CaptureForm,
    fields: list[tuple[str, str]],
    region: str,
    currency: str,
    origin: str | None = None,
) -> CaptureResult | None:
    """One submission of a website form. Returns None when the honeypot was filled: the
    sender is told it worked and nothing is stored. Raises SubmissionInvalid."""
    if capture_form.revoked_at is not None:
        raise SubmissionInvalid({"__all__": [_("This form has been switched off.")]})
    details: dict[str, Any] = {
        **(capture_form.source_details or {}),
        "capture_form_id": capture_form.pk,
        "form": capture_form.name,
    }
    if origin:
        details["origin"] = origin[:200]
    parsed = inquiry_from_fields(
        fields,
        source=Source.WEBSITE,
        default_currency=currency,
        honeypot=HONEYPOT_FIELD,
        source_details=details,
    )
    if parsed.honeypot_filled:
        logger.info("capture honeypot filled", extra={"capture_form_id": capture_form.pk})
        return None
    try:
        result = lead_capture(inquiry=parsed.inquiry, region=region)
    except ValidationError as error:
        fields_with_errors = _sender_field_errors(error, parsed.field_names)
        if translation.get_language_bidi():
            fields_with_errors = _isolate_quoted_input(fields_with_errors, parsed.inquiry)
        raise SubmissionInvalid(fields_with_errors) from error
    logger.info(
        "website form captured",
        extra={
            "capture_form_id": capture_form.pk,
            "lead_id": result.lead.pk,
            "lead_created": result.created,
        },
    )
    return result


def _sender_field_errors(error: ValidationError, names: dict[str, str]) -> dict[str, list[str]]:
    """Errors under the field names the website used (`mobile`, not our `phones`)."""
    if not hasattr(error, "error_dict"):
        return {"__all__": error.messages}
    fields: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        if key == "__all__":
            # "Give at least a phone number or an email address": both fields need attention.
            for name in (names.get("phones", "phone"), names.get("email", "email")):
                fields.setdefault(name, []).extend(messages)
            continue
        fields.setdefault(names.get(key, {"phones": "phone"}.get(key, key)), []).extend(messages)
    return fields


def _isolate_quoted_input(fields: dict[str, list[str]], inquiry: Inquiry) -> dict[str, list[str]]:
    """In Arabic, a quoted `050 12` would show as `12 050`: keep what the sender typed (phones,
    email) left-to-right inside the sentence with a left-to-right isolate, as <bdi dir="ltr">
    does in a page. An isolate a translation already put around it is replaced, not nested."""
    typed = sorted({*inquiry.phones, inquiry.email} - {""}, key=len, reverse=True)
    if not typed:
        return fields
    pattern = re.compile(
        "[\u2066\u2067\u2068]?(" + "|".join(re.escape(v) for v in typed) + ")\u2069?"
    )
    return {
        name: [pattern.sub(lambda m: f"\u2066{m.group(1)}\u2069", text) for text in messages]
        for name, messages in fields.items()
    }

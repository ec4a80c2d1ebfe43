"""Writes for capture: website forms and Meta lead ads. Both end in `lead_capture`, which keeps
one lead per person and writes the lead's timeline."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import can
from leads.capture.fields import inquiry_from_fields
from leads.capture.meta import meta_inquiry_from_graph_lead, meta_leadgen_changes
from leads.models import CaptureForm, Source
from leads.providers.meta import MetaGraphError, get_meta_provider
from leads.services import CaptureResult, Inquiry, lead_capture
from tenants.inbound import META, webhook_event_queue
from tenants.models import Agency, ProviderRoute, WebhookEvent

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
MAX_ALLOWED_ORIGINS = 20
META_PROVIDER = META
META_MAX_ATTEMPTS = 5


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


# --- Meta lead ads ---------------------------------------------------------------------------


@transaction.atomic
def meta_webhook_receive(*, payload: Any) -> list[WebhookEvent]:
    """Store each leadgen change of a verified delivery, once per leadgen id, and queue the new
    ones on commit in the schema of the agency that owns the page. Returns the new events."""
    queued: list[WebhookEvent] = []
    for change in meta_leadgen_changes(payload):
        route = (
            ProviderRoute.objects.filter(kind=ProviderRoute.Kind.META_PAGE, address=change.page_id)
            .select_related("agency")
            .first()
        )
        agency = route.agency if route is not None else None
        status, result = WebhookEvent.Status.RECEIVED, {}
        if agency is None:
            status = WebhookEvent.Status.IGNORED
            result = {"reason": "No agency has connected this Meta page."}
        elif agency.status == Agency.Status.TERMINATED:
            status = WebhookEvent.Status.IGNORED
            result = {"reason": "The agency that connected this page has closed its account."}
        event, created = WebhookEvent.objects.get_or_create(
            provider=META_PROVIDER,
            external_id=change.leadgen_id,
            defaults={
                "agency": agency,
                "payload": {**change.value, "page_id": change.page_id},
                "status": status,
                "result": result,
            },
        )
        if not created:
            logger.info("meta leadgen replayed", extra={"webhook_event_id": event.pk})
            continue
        logger.info(
            "meta leadgen received",
            extra={"webhook_event_id": event.pk, "status": status, "page_id": change.page_id},
        )
        if status == WebhookEvent.Status.RECEIVED:
            transaction.on_commit(partial(webhook_event_queue, event_id=event.pk))
            queued.append(event)
    return queued


@dataclass(frozen=True)
class MetaOutcome:
    status: str  # "processed", "skipped", "retry" or "failed"
    attempts: int = 0
    lead_id: int | None = None


def meta_event_process(*, event_id: int) -> MetaOutcome:
    """Fetch the lead's answers from the Graph API and capture them in this agency. Safe to run
    any number of times: only a RECEIVED event does anything.

    The Graph call happens before the row is locked, so no transaction stays open across the
    network; a second run at the same moment at worst reads the lead twice, and the lock below
    lets only one of them capture it."""
    # By schema, not `connection.tenant`: under schema_context that is a stand-in without a row.
    agency = Agency.objects.get(schema_name=connection.schema_name)
    event = WebhookEvent.objects.filter(pk=event_id, provider=META_PROVIDER).first()
    if event is None or event.status != WebhookEvent.Status.RECEIVED:
        return MetaOutcome(status="skipped")
    if event.agency_id != agency.pk:
        logger.warning(
            "meta event run in another agency's schema", extra={"webhook_event_id": event_id}
        )
        return MetaOutcome(status="skipped")
    try:
        graph_lead = get_meta_provider().lead(event.external_id)
    except MetaGraphError as error:
        return _meta_event_attempt_failed(event_id=event_id, message=str(error))
    inquiry = meta_inquiry_from_graph_lead(
        graph_lead,
        page_id=str(event.payload.get("page_id", "")),
        default_currency=agency.currency,
    )
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.status != WebhookEvent.Status.RECEIVED:
            return MetaOutcome(status="skipped")
        event.attempts += 1
        try:
            result = lead_capture(inquiry=inquiry, region=agency.country)
        except ValidationError as error:
            # Meta's answers will not change on a retry; keep the event for a person to look at.
            event.status = WebhookEvent.Status.FAILED
            event.last_error = _validation_summary(error)
            event.save(update_fields=["status", "attempts", "last_error"])
            logger.warning("meta lead not usable", extra={"webhook_event_id": event_id})
            return MetaOutcome(status="failed", attempts=event.attempts)
        event.status = WebhookEvent.Status.PROCESSED
        event.processed_at = timezone.now()
        event.last_error = ""
        event.result = {"lead_id": result.lead.pk, "lead_created": result.created}
        event.save(update_fields=["status", "attempts", "processed_at", "last_error", "result"])
    logger.info(
        "meta lead captured",
        extra={
            "webhook_event_id": event_id,
            "lead_id": result.lead.pk,
            "lead_created": result.created,
        },
    )
    return MetaOutcome(status="processed", attempts=event.attempts, lead_id=result.lead.pk)


def _validation_summary(error: ValidationError) -> str:
    """Which fields were wrong, never their values (the messages quote the person's input)."""
    if hasattr(error, "error_dict"):
        return ("The lead's answers were not usable: " + ", ".join(sorted(error.error_dict)))[:500]
    return "The lead could not be captured: " + " ".join(error.messages)[:400]


@transaction.atomic
def _meta_event_attempt_failed(*, event_id: int, message: str) -> MetaOutcome:
    event = WebhookEvent.objects.select_for_update().get(pk=event_id)
    if event.status != WebhookEvent.Status.RECEIVED:
        return MetaOutcome(status="skipped", attempts=event.attempts)
    event.attempts += 1
    event.last_error = message[:500]
    if event.attempts >= META_MAX_ATTEMPTS:
        event.status = WebhookEvent.Status.FAILED
    event.save(update_fields=["status", "attempts", "last_error"])
    logger.warning(
        "meta graph fetch failed",
        extra={"webhook_event_id": event_id, "attempts": event.attempts},
    )
    status = "failed" if event.status == WebhookEvent.Status.FAILED else "retry"
    return MetaOutcome(status=status, attempts=event.attempts)

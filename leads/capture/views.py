"""Website forms: the public endpoint on the agency host (`POST /capture/<token>/`) and the
admin's website-forms settings page. (The Meta webhook is in leads/meta/.)"""

from __future__ import annotations

import json
import logging
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts.roles import page_requires
from leads import selectors, services
from leads.capture.forms import CaptureFormForm
from leads.capture.ratelimit import capture_rate_check
from leads.models import CaptureForm
from tenants.selectors import agency_url

logger = logging.getLogger(__name__)

MAX_CAPTURE_BODY_BYTES = 64 * 1024
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CORS_ALLOW_HEADERS = "Content-Type, Accept, Accept-Language"
CORS_MAX_AGE = str(24 * 3600)


def _error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, **extra}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


# --- Website form: POST /capture/<token>/ ----------------------------------------------------


def _cors_origin(capture_form: CaptureForm | None, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin to send, or None to let the browser block the page.
    Unknown and revoked tokens answer `*`, so the site's script can read the clear 404."""
    if capture_form is None or capture_form.revoked_at is not None:
        return "*"
    if not capture_form.allowed_origins:
        return "*"
    if origin and services.capture_form_allows_origin(capture_form=capture_form, origin=origin):
        return origin
    return None


def _with_cors(response: HttpResponse, allow_origin: str | None) -> HttpResponse:
    if allow_origin:
        response["Access-Control-Allow-Origin"] = allow_origin
    response["Vary"] = "Origin"
    return response


def _submission_language(request: HttpRequest, fields: list[tuple[str, str]]) -> str:
    """The sender's language for our messages: the form's own `lang` field, else the
    browser's, else the agency's."""
    chosen = next((v for k, v in fields if k == "lang"), "") or request.GET.get("lang", "")
    if chosen in ("en", "ar"):
        return chosen
    if request.headers.get("Accept-Language"):
        return translation.get_language_from_request(request)
    return getattr(request.tenant, "default_language", settings.LANGUAGE_CODE)


class BodyProblem(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def _json_fields(body: bytes) -> list[tuple[str, str]]:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BodyProblem(
            400,
            "invalid_json",
            _("The request body is not valid JSON. Send one JSON object of form fields."),
        ) from error
    if not isinstance(data, dict):
        raise BodyProblem(
            400,
            "invalid_json",
            _('Send one JSON object of form fields, for example {"name": …, "phone": …}.'),
        )
    fields: list[tuple[str, str]] = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "yes" if item else "no"
            if not isinstance(item, str | int | float):
                raise BodyProblem(
                    400,
                    "invalid",
                    _("Each field must be text, a number or a list of those."),
                )
            fields.append((str(key), str(item)))
    return fields


def _submitted_fields(request: HttpRequest) -> list[tuple[str, str]]:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_CAPTURE_BODY_BYTES:
        raise BodyProblem(
            413,
            "too_large",
            _("The form is too large. Send at most 64 KB of text, without files."),
        )
    body = request.body
    content_type = request.content_type or ""
    if content_type == "application/json" or (
        content_type == "text/plain" and body.lstrip().startswith(b"{")
    ):
        return _json_fields(body)
    if content_type in FORM_CONTENT_TYPES:
        try:
            return [(key, value) for key, values in request.POST.lists() for value in values]
        except (SuspiciousOperation, MultiPartParserError, BadRequest) as error:
            raise BodyProblem(
                400, "invalid", _("The form data could not be read. Check how it is encoded.")
            ) from error
    raise BodyProblem(
        415,
        "unsupported_media_type",
        _("Send the form as application/x-www-form-urlencoded, multipart/form-data or JSON."),
    )


def _wants_html(request: HttpRequest) -> bool:
    """A plain HTML form posting straight here (no script) should land on a page, not JSON."""
    accept = request.headers.get("Accept", "")
    return request.content_type in FORM_CONTENT_TYPES and "text/html" in accept


def _client_address(request: HttpRequest) -> str:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


@csrf_exempt
def capture_submit(request: HttpRequest, token: str) -> HttpResponse:
    origin = request.headers.get("Origin")
    capture_form = selectors.capture_form_by_token(token=token)
    allow_origin = _cors_origin(capture_form, origin)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204 if allow_origin else 403)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response["Access-Control-Max-Age"] = CORS_MAX_AGE
        return _with_cors(response, allow_origin)
    with translation.override(_submission_language(request, [])):
        if request.method != "POST":
            response = _error(405, "method_not_allowed", _("Send the form with POST."))
            response["Allow"] = "POST, OPTIONS"
        else:
            response = _capture_post(request, capture_form, origin)
    return _with_cors(response, allow_origin)


def _capture_post(
    request: HttpRequest, capture_form: CaptureForm | None, origin: str | None
) -> HttpResponse:
    if capture_form is None:
        return _error(
            404,
            "form_not_found",
            _("There is no form at this address. Copy the form again from Aqari's settings."),
        )
    if capture_form.revoked_at is not None:
        return _error(
            404,
            "form_revoked",
            _("This form has been switched off by the agency. Contact the agency directly."),
        )
    if not services.capture_form_allows_origin(capture_form=capture_form, origin=origin):
        return _error(
            403,
            "origin_not_allowed",
            _("This form does not take submissions from this website."),
        )
    decision = capture_rate_check(token=capture_form.token, client_address=_client_address(request))
    if not decision.allowed:
        response = _error(
            429,
            "rate_limited",
            _("Too many submissions. Wait a minute and send the form again."),
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    try:
        fields = _submitted_fields(request)
    except BodyProblem as problem:
        return _error(problem.status, problem.code, problem.message)
    except RequestDataTooBig:
        return _error(413, "too_large", _("The form is too large. Send at most 64 KB of text."))
    with translation.override(_submission_language(request, fields)):
        try:
            result = services.capture_form_submit(
                capture_form=capture_form,
                fields=fields,
                region=request.tenant.country,
                currency=request.tenant.currency,
                origin=origin,
            )
        except services.SubmissionInvalid as invalid:
            if _wants_html(request):
                return render(
                    request,
                    "leads/capture/submission_invalid.html",
                    {"problems": list(dict.fromkeys(sum(invalid.fields.values(), [])))},
                    status=400,
                )
            return _error(
                400,
                "invalid",
                _("Some fields need attention."),
                fields=invalid.fields,
            )
        if _wants_html(request):
            return _html_thanks(request, capture_form, fields)
        if result is None:
            return JsonResponse({"id": None, "status": "created"}, status=201)
        return JsonResponse(
            {"id": result.lead.pk, "status": "created" if result.created else "updated"},
            status=201,
        )


def _html_thanks(
    request: HttpRequest, capture_form: CaptureForm, fields: list[tuple[str, str]]
) -> HttpResponse:
    """Send the visitor on to the site's own thank-you page when it names one on a website the
    form is tied to; otherwise show ours."""
    target = next((v for k, v in fields if k == "redirect"), "")
    if target and capture_form.allowed_origins:
        try:
            target_origin = services.capture_origin_normalise(target)
        except ValidationError:
            target_origin = ""
        if target_origin in capture_form.allowed_origins:
            return HttpResponseRedirect(target, status=303)
    return render(request, "leads/capture/thanks.html", status=201)


# --- Settings: website forms -----------------------------------------------------------------


def _snippet_language(request: HttpRequest) -> str:
    chosen = request.GET.get("snippet")
    return chosen if chosen in ("en", "ar") else translation.get_language()


def _render_capture_forms(
    request: HttpRequest, form: CaptureFormForm, status: int = 200
) -> HttpResponse:
    snippet_language = _snippet_language(request)
    rows = []
    for capture_form in selectors.capture_forms_for_settings():
        endpoint = agency_url(request.tenant, f"/capture/{capture_form.token}/")
        snippet = ""
        if capture_form.revoked_at is None:
            with translation.override(snippet_language):
                snippet = render_to_string(
                    "leads/capture/_snippet.html",
                    {"endpoint": endpoint, "capture_form": capture_form, "lang": snippet_language},
                ).strip()
        rows.append({"form": capture_form, "endpoint": endpoint, "snippet": snippet})
    context = {
        "section": "settings",
        "rows": rows,
        "form": form,
        "snippet_language": snippet_language,
        "opened": request.GET.get("created", ""),
    }
    template = "leads/capture/forms.html"
    if request.htmx and status != 200:
        template += "#create-form"
    return render(request, template, context, status=status)


@page_requires("capture_forms")
def capture_forms_page(request: HttpRequest) -> HttpResponse:
    return _render_capture_forms(request, CaptureFormForm())


@page_requires("capture_forms")
def capture_form_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("capture_forms")
    form = CaptureFormForm(request.POST)
    if form.is_valid():
        try:
            capture_form = services.capture_form_create(
                actor=request.membership,
                name=form.cleaned_data["name"],
                allowed_origins=form.cleaned_data["allowed_origins"],
            )
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Form added. Paste its snippet into your website's page."))
            url = f"{reverse('capture_forms')}?created={capture_form.pk}"
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(f"{url}#form-{capture_form.pk}")
    return _render_capture_forms(request, form, status=400)


@page_requires("capture_forms")
def capture_form_revoke(request: HttpRequest, form_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("capture_forms")
    capture_form = get_object_or_404(CaptureForm, pk=form_id)
    services.capture_form_revoke(actor=request.membership, capture_form=capture_form)
    messages.success(
        request,
        _("Form switched off. Submissions to it now get a “not found” answer."),
    )
    return redirect("capture_forms")

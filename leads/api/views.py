"""The REST API at `/api/v1/`: leads list, create, read and change, and its OpenAPI document.

Plain Django views. Every response is JSON, errors included (see `leads.api.errors`)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import zoneinfo
from collections.abc import Callable
from datetime import datetime, time
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from leads.api import selectors
from leads.api.auth import api_authenticate
from leads.api.errors import ApiError, api_error_response, validation_fields
from leads.api.openapi import openapi_document
from leads.api.serializers import Payload, lead_json
from leads.api.services import DuplicatePerson, LeadChanges, lead_api_create, lead_api_update
from leads.inquiries import Inquiry
from leads.models import Interest, Lead, Source
from leads.selectors.assignment import member_names

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
PAGE_DEFAULT = 50
PAGE_MAX = 200
LIST_PARAMS = {"cursor", "limit", "stage", "source", "updated_since"}
CREATE_FIELDS = {
    "full_name",
    "phone",
    "phones",
    "email",
    "nationality",
    "preferred_language",
    "interest",
    "property_type",
    "bedrooms",
    "communities",
    "budget_min",
    "budget_max",
    "budget_currency",
    "message",
    "source_details",
    "tags",
}
UPDATE_FIELDS = {
    "full_name",
    "phones",
    "email",
    "nationality",
    "preferred_language",
    "interest",
    "property_type",
    "bedrooms",
    "communities",
    "budget_min",
    "budget_max",
    "budget_currency",
    "stage",
    "lost_reason",
    "tags",
    "assignee",
}


def _json(data, status: int = 200, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_endpoint(*methods: str, authenticated: bool = True) -> Callable:
    """Method check, API-key authentication and rate limit, and JSON for every error."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        _("%(method)s is not allowed here. Use %(allowed)s.")
                        % {"method": request.method, "allowed": ", ".join(methods)},
                        headers={"Allow": ", ".join(methods)},
                    )
                if authenticated:
                    request.api_key = api_authenticate(request)
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error.response()
            except Exception:
                logger.exception("api error", extra={"path_name": view.__name__})
                return api_error_response(
                    500,
                    "internal_error",
                    _("Something went wrong on our side. Try again in a minute."),
                )

        return wrapped

    return decorator


def _read_json(request: HttpRequest) -> dict:
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send JSON with the header “Content-Type: application/json”."),
        )
    too_large = ApiError(
        413,
        "payload_too_large",
        _("The body is larger than %(size)s KB. Send less at once.")
        % {"size": MAX_BODY_BYTES // 1024},
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise too_large
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ApiError(400, "invalid_json", _("The body is not UTF-8 text.")) from error
    except json.JSONDecodeError as error:
        raise ApiError(
            400,
            "invalid_json",
            _("The body is not valid JSON: %(problem)s at line %(line)s, column %(column)s.")
            % {"problem": error.msg, "line": error.lineno, "column": error.colno},
        ) from error
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", _("Send one JSON object, {…}, in the body."))
    return data


def _invalid(fields: dict[str, list[str]]) -> ApiError:
    return ApiError(
        400, "invalid", _("Some fields need fixing. See “fields” for each one."), fields=fields
    )


def _region(request: HttpRequest) -> str:
    return getattr(request.tenant, "country", "") or "AE"


def _names_for(leads: list[Lead]) -> dict[int, str]:
    return member_names({lead.assignee_id for lead in leads if lead.assignee_id})


# --- Cursors --------------------------------------------------------------------------------


def cursor_encode(lead: Lead) -> str:
    raw = f"{lead.created_at.isoformat()}|{lead.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(value: str) -> tuple[datetime, int]:
    bad = ApiError(
        400,
        "invalid_cursor",
        _("This cursor is not one we gave out. Use next_cursor from the previous page."),
        fields={"cursor": [_("Not a valid cursor.")]},
    )
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        created, lead_id = raw.rsplit("|", 1)
        created_at = datetime.fromisoformat(created)
        pk = int(lead_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise bad from error
    if timezone.is_naive(created_at) or pk < 0:
        raise bad
    return created_at, pk


# --- Leads ----------------------------------------------------------------------------------


@api_endpoint("GET", "POST")
def leads_collection(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _lead_create(request)
    return _lead_list(request)


def _parse_updated_since(request: HttpRequest, value: str) -> datetime | None:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = datetime.combine(day, time.min)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        tz = zoneinfo.ZoneInfo(getattr(request.tenant, "timezone", "") or "Asia/Dubai")
        moment = moment.replace(tzinfo=tz)
    return moment


def _lead_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    fields: dict[str, list[str]] = {}
    for name in set(params) - LIST_PARAMS:
        fields[name] = [_("Unknown parameter.")]
    limit = PAGE_DEFAULT
    if params.get("limit"):
        try:
            limit = int(params["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= PAGE_MAX:
            fields["limit"] = [_("Send a number from 1 to %(max)s.") % {"max": PAGE_MAX}]
    stage = None
    if params.get("stage"):
        stage = selectors.api_stage(params["stage"])
        if stage is None:
            fields["stage"] = [_("No stage with this id or name.")]
    source = params.get("source", "")
    if source and source not in Source.values:
        fields["source"] = [_("Use one of: %(values)s.") % {"values": ", ".join(Source.values)}]
    updated_since = None
    if params.get("updated_since"):
        updated_since = _parse_updated_since(request, params["updated_since"])
        if updated_since is None:
            fields["updated_since"] = [
                _("Use an ISO 8601 date or time, like 2026-05-01T09:00:00+04:00.")
            ]
    if fields:
        raise _invalid(fields)
    after = cursor_decode(params["cursor"]) if params.get("cursor") else None
    leads = list(
        selectors.api_leads(stage=stage, source=source, updated_since=updated_since, after=after)[
            : limit + 1
        ]
    )
    has_more = len(leads) > limit
    leads = leads[:limit]
    names = _names_for(leads)
    return _json(
        {
            "data": [lead_json(lead, names=names) for lead in leads],
            "has_more": has_more,
            "next_cursor": cursor_encode(leads[-1]) if has_more else None,
        }
    )


def _lead_create(request: HttpRequest) -> HttpResponse:
    payload = Payload(_read_json(request), allowed=CREATE_FIELDS)
    phones = payload.text_list("phones", max_length=40, max_items=5)
    if payload.has("phone"):
        single = payload.text("phone", max_length=40)
        if single:
            phones.insert(0, single)
    inquiry = Inquiry(
        source="api",
        full_name=payload.text("full_name", max_length=150),
        phones=phones,
        email=payload.text("email", max_length=254),
        nationality=payload.pattern(
            "nationality",
            r"[A-Z]{2}",
            _("Use a two-letter country code, like AE."),
            transform=str.upper,
        ),
        preferred_language=payload.text("preferred_language", max_length=5).lower(),
        source_details=payload.obj("source_details"),
        interest=payload.text("interest", max_length=10),
        property_type=payload.text("property_type", max_length=40),
        bedrooms=payload.integer("bedrooms", minimum=0, maximum=50),
        communities=payload.text_list("communities", max_length=80),
        budget_min=payload.amount("budget_min"),
        budget_max=payload.amount("budget_max"),
        budget_currency=payload.pattern(
            "budget_currency",
            r"[A-Z]{3}",
            _("Use a three-letter currency code, like AED."),
            transform=str.upper,
        ),
        message=payload.text("message", max_length=2000, multiline=True),
    )
    if inquiry.interest and inquiry.interest not in Interest.values:
        payload.error("interest", _("Choose buy, rent or off_plan."))
    tags = payload.text_list("tags", max_length=40)
    if payload.errors:
        raise _invalid(payload.errors)
    try:
        result = lead_api_create(
            api_key=request.api_key, inquiry=inquiry, tags=tags, region=_region(request)
        )
    except ValidationError as error:
        raise _invalid(validation_fields(error)) from error
    lead = selectors.api_lead(lead_id=result.lead.pk)
    status = 201 if result.created else 200
    return _json(
        lead_json(lead, names=_names_for([lead])),
        status=status,
        headers={"Location": f"/api/v1/leads/{lead.pk}/"},
    )


@api_endpoint("GET", "PATCH")
def lead_item(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.api_lead(lead_id=lead_id)
    if lead is None:
        raise ApiError(404, "not_found", _("There is no lead with this id in this agency."))
    if request.method == "PATCH":
        lead = _lead_update(request, lead)
    return _json(lead_json(lead, names=_names_for([lead])))


def _lead_update(request: HttpRequest, lead: Lead) -> Lead:
    data = _read_json(request)
    payload = Payload(data, allowed=UPDATE_FIELDS)
    if not data:
        raise _invalid({"_": [_("Send at least one field to change.")]})
    changes = LeadChanges()
    readers = {
        "full_name": lambda: payload.text("full_name", max_length=150),
        "email": lambda: payload.text("email", max_length=254),
        "phones": lambda: payload.text_list("phones", max_length=40, max_items=5),
        "nationality": lambda: payload.pattern(
            "nationality",
            r"[A-Z]{2}",
            _("Use a two-letter country code, like AE."),
            transform=str.upper,
        ),
        "preferred_language": lambda: payload.text("preferred_language", max_length=5).lower(),
        "interest": lambda: payload.text("interest", max_length=10),
        "property_type": lambda: payload.text("property_type", max_length=40),
        "bedrooms": lambda: payload.integer("bedrooms", minimum=0, maximum=50),
        "communities": lambda: payload.text_list("communities", max_length=80),
        "budget_min": lambda: payload.amount("budget_min"),
        "budget_max": lambda: payload.amount("budget_max"),
        "budget_currency": lambda: payload.pattern(
            "budget_currency",
            r"[A-Z]{3}",
            _("Use a three-letter currency code, like AED."),
            transform=str.upper,
        ),
    }
    for name, read in readers.items():
        if payload.has(name):
            changes.details[name] = read()
    if changes.details.get("interest") and changes.details["interest"] not in Interest.values:
        payload.error("interest", _("Choose buy, rent or off_plan."))
    stage_sent, stage_ref = payload.nullable_reference("stage")
    if stage_sent:
        changes.stage = selectors.api_stage(stage_ref) if stage_ref is not None else None
        if changes.stage is None:
            payload.error("stage", _("No stage with this id or name."))
    if payload.has("lost_reason"):
        changes.lost_reason = payload.text("lost_reason", max_length=200)
    if payload.has("tags"):
        changes.tags = payload.text_list("tags", max_length=40)
    assignee_sent, assignee_ref = payload.nullable_reference("assignee")
    if assignee_sent:
        changes.assignee_sent = True
        if assignee_ref is not None:
            changes.assignee = (
                selectors.api_assignee(assignee_ref) if isinstance(assignee_ref, int) else None
            )
            if changes.assignee is None:
                payload.error(
                    "assignee", _("Send the id of an active team member who works leads, or null.")
                )
    if payload.errors:
        raise _invalid(payload.errors)
    try:
        return lead_api_update(
            lead=lead, api_key=request.api_key, changes=changes, region=_region(request)
        )
    except DuplicatePerson as error:
        raise ApiError(
            409,
            "duplicate",
            _("Another lead already has this phone number or email address."),
            fields=validation_fields(error),
        ) from error
    except ValidationError as error:
        if getattr(error, "code", None) == "merged":
            raise ApiError(409, "merged", " ".join(error.messages)) from error
        raise _invalid(validation_fields(error)) from error


# --- Documents and fallbacks ----------------------------------------------------------------


@api_endpoint("GET", authenticated=False)
def openapi(request: HttpRequest) -> HttpResponse:
    return _json(openapi_document())


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return api_error_response(
        404,
        "not_found",
        _("There is nothing at this address. See /api/v1/openapi.json for what there is."),
    )

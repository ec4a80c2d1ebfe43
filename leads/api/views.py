"""The REST API's operations at `/api/v1/`: leads list, create, read and change.

Ninja checks each request against `leads.api.schemas` before an operation runs; what is left
here is what needs the agency's data (a stage by name, a team member), then one service or
selector. Every response is JSON, errors included (see `leads.api.errors`)."""

import base64
import binascii
from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import register_converter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Query, Router, Status
from pydantic import WithJsonSchema

from leads.api import schemas, selectors
from leads.api.errors import ApiError, api_error_response, invalid, validation_fields
from leads.api.services import (
    DETAIL_FIELDS,
    DuplicatePerson,
    LeadChanges,
    lead_api_create,
    lead_api_update,
)
from leads.inquiries import Inquiry
from leads.models import Lead
from leads.selectors.assignment import member_names


class LeadIdConverter:
    """A lead id in a path: digits that fit a bigint. Anything else is not an address here
    (a JSON 404), rather than a validation error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(LeadIdConverter, "api_lead_id")

router = Router()


def _responses(descriptions: dict[int, str]) -> dict:
    """What each status means here, for the OpenAPI document (ninja only knows their
    names)."""
    responses: dict[int, dict] = {
        status: {"description": text} for status, text in descriptions.items()
    }
    responses[429] = {
        "description": "Too many requests; wait `Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
    return {"responses": responses}


AUTH_ERRORS = {
    401: "No key, or a key that is unknown here or revoked.",
    405: "The method is not allowed; see `Allow`.",
}
BODY_ERRORS = {
    400: "Bad JSON (`invalid_json`) or fields to fix (`invalid`, with `fields`).",
    413: "The body is over 64 KB (`payload_too_large`).",
    415: "The body is not JSON (`unsupported_media_type`).",
}
NOT_FOUND = {404: "No lead with this id in this agency."}


def _errors(*statuses: int) -> dict[int, type[schemas.Error]]:
    return dict.fromkeys((*statuses, 401, 405, 429), schemas.Error)


def _region(request: HttpRequest) -> str:
    return getattr(request.tenant, "country", "") or "AE"


def _names_for(leads: list[Lead]) -> dict[int, str]:
    return member_names({lead.assignee_id for lead in leads if lead.assignee_id})


# Documented as in v1's hand-written description; the converter has checked the digits.
LeadId = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 1})]


def _lead_out(lead: Lead) -> schemas.Lead:
    return schemas.Lead.of(lead, names=_names_for([lead]))


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


@router.get(
    "/leads/",
    response={200: schemas.LeadPage, **_errors(400)},
    operation_id="listLeads",
    summary="List leads, oldest first",
    description=(
        "Pages by cursor over (created_at, id): pass `next_cursor` back as `cursor` until "
        "`has_more` is false. New leads join the end, so a stored cursor also fetches leads "
        "created since. Merged leads are left out."
    ),
    url_name="api_leads",
    openapi_extra=_responses(
        {
            200: "A page of leads.",
            400: "A parameter to fix (`invalid`, `invalid_cursor`).",
            **AUTH_ERRORS,
        }
    ),
)
def lead_list(request: HttpRequest, params: Query[schemas.LeadListParams]) -> schemas.LeadPage:
    unknown = sorted(set(request.GET) - set(schemas.LeadListParams.model_fields))
    if unknown:
        raise invalid({name: [_("Unknown parameter.")] for name in unknown})
    stage = None
    if params.stage:
        stage = selectors.api_stage(params.stage)
        if stage is None:
            raise invalid({"stage": [_("No stage with this id or name.")]})
    after = cursor_decode(params.cursor) if params.cursor else None
    leads = list(
        selectors.api_leads(
            stage=stage, source=params.source, updated_since=params.updated_since, after=after
        )[: params.limit + 1]
    )
    has_more = len(leads) > params.limit
    leads = leads[: params.limit]
    names = _names_for(leads)
    return schemas.LeadPage(
        data=[schemas.Lead.of(lead, names=names) for lead in leads],
        has_more=has_more,
        next_cursor=cursor_encode(leads[-1]) if has_more else None,
    )


@router.post(
    "/leads/",
    response={201: schemas.Lead, 200: schemas.Lead, **_errors(400, 413, 415)},
    operation_id="createLead",
    summary="Add an inquiry: a new lead, or the existing lead of this person",
    description=(
        "One person, one lead: when a phone or email matches a lead of the agency, the inquiry "
        "joins that lead's timeline, fills what it lacked, and the answer is 200 instead of "
        "201. Phones are read in the agency's country unless they start with + or 00."
    ),
    url_name="api_leads",
    openapi_extra=_responses(
        {
            201: "A new lead.",
            200: "The person's existing lead, updated.",
            **BODY_ERRORS,
            **AUTH_ERRORS,
        }
    ),
)
def lead_create(
    request: HttpRequest, payload: schemas.LeadCreate, response: HttpResponse
) -> Status[schemas.Lead]:
    details = {name: getattr(payload, name) for name in DETAIL_FIELDS}
    # `phone` is a shorthand for the first of `phones`.
    details["phones"] = [payload.phone, *payload.phones] if payload.phone else list(payload.phones)
    inquiry = Inquiry(
        source="api",
        **details,
        source_details=payload.source_details,
        message=payload.message,
    )
    try:
        result = lead_api_create(
            api_key=request.auth, inquiry=inquiry, tags=payload.tags, region=_region(request)
        )
    except ValidationError as error:
        raise invalid(validation_fields(error)) from error
    lead = selectors.api_lead(lead_id=result.lead.pk)
    response["Location"] = f"/api/v1/leads/{lead.pk}/"
    return Status(201 if result.created else 200, _lead_out(lead))


def _lead_or_404(lead_id: int) -> Lead:
    lead = selectors.api_lead(lead_id=lead_id)
    if lead is None:
        raise ApiError(404, "not_found", _("There is no lead with this id in this agency."))
    return lead


@router.get(
    "/leads/{api_lead_id:lead_id}/",
    response={200: schemas.Lead, **_errors(404)},
    operation_id="getLead",
    summary="One lead",
    url_name="api_lead",
    openapi_extra=_responses({200: "The lead.", **NOT_FOUND, **AUTH_ERRORS}),
)
def lead_detail(request: HttpRequest, lead_id: LeadId) -> schemas.Lead:
    return _lead_out(_lead_or_404(lead_id))


@router.patch(
    "/leads/{api_lead_id:lead_id}/",
    response={200: schemas.Lead, **_errors(400, 404, 409, 413, 415)},
    operation_id="updateLead",
    summary="Change a lead",
    description=(
        "Send only the fields to change; lists (phones, communities, tags) are replaced. All of "
        "it is applied, or none of it. Moving to a lost stage needs `lost_reason`. A phone or "
        "email of another lead is a 409 `duplicate`: merge the two leads in Aqari instead."
    ),
    url_name="api_lead",
    openapi_extra=_responses(
        {
            200: "The changed lead.",
            **BODY_ERRORS,
            **NOT_FOUND,
            409: (
                "Another lead has this phone or email (`duplicate`), or this lead was merged "
                "into another (`merged`)."
            ),
            **AUTH_ERRORS,
        }
    ),
)
def lead_update(request: HttpRequest, payload: schemas.LeadUpdate, lead_id: LeadId) -> schemas.Lead:
    lead = _lead_or_404(lead_id)
    sent = payload.model_fields_set
    changes = LeadChanges(
        details={name: getattr(payload, name) for name in DETAIL_FIELDS if name in sent}
    )
    errors: dict[str, list[str]] = {}
    if "stage" in sent:
        if payload.stage is not None:
            changes.stage = selectors.api_stage(payload.stage)
        if changes.stage is None:
            errors["stage"] = [_("No stage with this id or name.")]
    if "lost_reason" in sent:
        changes.lost_reason = payload.lost_reason
    if "tags" in sent:
        changes.tags = payload.tags
    if "assignee" in sent:
        changes.assignee_sent = True
        if payload.assignee is not None:
            if isinstance(payload.assignee, int):
                changes.assignee = selectors.api_assignee(payload.assignee)
            if changes.assignee is None:
                errors["assignee"] = [
                    _("Send the id of an active team member who works leads, or null.")
                ]
    if errors:
        raise invalid(errors)
    try:
        lead = lead_api_update(
            lead=lead, api_key=request.auth, changes=changes, region=_region(request)
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
        raise invalid(validation_fields(error)) from error
    return _lead_out(lead)


# --- Fallback -------------------------------------------------------------------------------


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /api/v1/ is a JSON 404, not the staff app's HTML page."""
    return api_error_response(
        404,
        "not_found",
        _("There is nothing at this address. See /api/v1/openapi.json for what there is."),
    )

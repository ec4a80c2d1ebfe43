"""The API's OpenAPI 3.1 description, written by hand next to the views it describes (the
tests check that every route is in it and every reference resolves)."""

from __future__ import annotations

from django.conf import settings

from leads.api.auth import DEFAULT_PER_KEY_PER_MINUTE
from leads.models import Interest, PipelineStage, Source

ERROR_CODES = [
    "unauthorized",
    "not_found",
    "method_not_allowed",
    "invalid_json",
    "invalid",
    "invalid_cursor",
    "duplicate",
    "merged",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "internal_error",
]

_TEXT_LIST = {"type": "array", "items": {"type": "string"}}
_NULLABLE_AMOUNT = {
    "type": ["string", "null"],
    "pattern": r"^\d+(\.\d{1,2})?$",
    "description": "A decimal amount as a string, to keep its exact value.",
    "examples": ["1200000.00"],
}
_AMOUNT_IN = {
    "type": ["number", "string", "null"],
    "description": 'A number, or a numeric string such as "1200000".',
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _lead_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Lead"}}},
    }


COMMON_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
    "429": {"$ref": "#/components/responses/RateLimited"},
}
BODY_ERRORS = {
    "400": _error("Bad JSON (`invalid_json`) or fields to fix (`invalid`, with `fields`)."),
    "413": _error("The body is over 64 KB (`payload_too_large`)."),
    "415": _error("The body is not JSON (`unsupported_media_type`)."),
}


def _lead_details_properties() -> dict:
    return {
        "full_name": {"type": "string", "maxLength": 150, "examples": ["Fatima Al Zahra"]},
        "email": {"type": "string", "format": "email"},
        "nationality": {
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "description": "ISO 3166-1 alpha-2.",
        },
        "preferred_language": {"type": "string", "maxLength": 5, "examples": ["ar", "en"]},
        "interest": {"type": "string", "enum": [*Interest.values, ""]},
        "property_type": {"type": "string", "maxLength": 40, "examples": ["apartment"]},
        "bedrooms": {"type": ["integer", "null"], "minimum": 0, "maximum": 50},
        "communities": {**_TEXT_LIST, "maxItems": 20, "examples": [["Dubai Marina", "JVC"]]},
        "budget_min": _AMOUNT_IN,
        "budget_max": _AMOUNT_IN,
        "budget_currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "examples": ["AED"]},
        "tags": {**_TEXT_LIST, "maxItems": 20},
    }


def openapi_document() -> dict:
    per_minute = getattr(settings, "AQARI_API_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_KEY_PER_MINUTE)
    lead_id = {
        "name": "lead_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Aqari API",
            "version": "1.0.0",
            "description": (
                "Your agency's leads. Authenticate with an API key from Settings → API keys: "
                "`Authorization: Bearer aq_…`. Each key works only on its own agency's "
                'address. Every error is JSON: `{"error": {"code", "message", '
                '"fields"}}`; branch on `code`, show `message` to people. Each key may make '
                f"{per_minute} requests a minute; over that the answer is 429 with "
                "`Retry-After`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "paths": {
            "/leads/": {
                "get": {
                    "operationId": "listLeads",
                    "summary": "List leads, oldest first",
                    "description": (
                        "Pages by cursor over (created_at, id): pass `next_cursor` back as "
                        "`cursor` until `has_more` is false. New leads join the end, so a "
                        "stored cursor also fetches leads created since. Merged leads are left "
                        "out."
                    ),
                    "parameters": [
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 200,
                                "default": 50,
                            },
                        },
                        {
                            "name": "stage",
                            "in": "query",
                            "description": "A stage id, or its name in English or Arabic.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "source",
                            "in": "query",
                            "schema": {"type": "string", "enum": Source.values},
                        },
                        {
                            "name": "updated_since",
                            "in": "query",
                            "description": (
                                "ISO 8601 date or date-time; without an offset it is read "
                                "in the agency's time zone."
                            ),
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of leads.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/LeadPage"}
                                }
                            },
                        },
                        "400": _error("A parameter to fix (`invalid`, `invalid_cursor`)."),
                        **COMMON_ERRORS,
                    },
                },
                "post": {
                    "operationId": "createLead",
                    "summary": "Add an inquiry: a new lead, or the existing lead of this person",
                    "description": (
                        "One person, one lead: when a phone or email matches a lead of the "
                        "agency, the inquiry joins that lead's timeline, fills what it lacked, "
                        "and the answer is 200 instead of 201. Phones are read in the agency's "
                        "country unless they start with + or 00."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/LeadCreate"}
                            }
                        },
                    },
                    "responses": {
                        "201": _lead_response("A new lead."),
                        "200": _lead_response("The person's existing lead, updated."),
                        **BODY_ERRORS,
                        **COMMON_ERRORS,
                    },
                },
            },
            "/leads/{lead_id}/": {
                "parameters": [lead_id],
                "get": {
                    "operationId": "getLead",
                    "summary": "One lead",
                    "responses": {
                        "200": _lead_response("The lead."),
                        "404": {"$ref": "#/components/responses/NotFound"},
                        **COMMON_ERRORS,
                    },
                },
                "patch": {
                    "operationId": "updateLead",
                    "summary": "Change a lead",
                    "description": (
                        "Send only the fields to change; lists (phones, communities, tags) "
                        "are replaced. All of it is applied, or none of it. Moving to a lost "
                        "stage needs `lost_reason`. A phone or email of another lead is a 409 "
                        "`duplicate`: merge the two leads in Aqari instead."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/LeadUpdate"}
                            }
                        },
                    },
                    "responses": {
                        "200": _lead_response("The changed lead."),
                        **BODY_ERRORS,
                        "404": {"$ref": "#/components/responses/NotFound"},
                        "409": _error(
                            "Another lead has this phone or email (`duplicate`), or this lead "
                            "was merged into another (`merged`)."
                        ),
                        **COMMON_ERRORS,
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An agency API key, `aq_<prefix>_<secret>`.",
                }
            },
            "responses": {
                "Unauthorized": _error("No key, or a key that is unknown here or revoked."),
                "NotFound": _error("No lead with this id in this agency."),
                "MethodNotAllowed": _error("The method is not allowed; see `Allow`."),
                "RateLimited": {
                    **_error("Too many requests; wait `Retry-After` seconds."),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "enum": ERROR_CODES},
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "description": "Messages by field; `_` for the whole body.",
                                    "additionalProperties": _TEXT_LIST,
                                },
                            },
                        }
                    },
                },
                "Lead": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "full_name": {"type": "string"},
                        "phones": {**_TEXT_LIST, "description": "E.164, like +971501234567."},
                        "email": {"type": "string"},
                        "nationality": {"type": "string"},
                        "preferred_language": {"type": "string"},
                        "source": {"type": "string", "enum": Source.values},
                        "source_details": {"type": "object"},
                        "interest": {"type": "string", "enum": [*Interest.values, ""]},
                        "property_type": {"type": "string"},
                        "bedrooms": {"type": ["integer", "null"]},
                        "communities": _TEXT_LIST,
                        "budget_min": _NULLABLE_AMOUNT,
                        "budget_max": _NULLABLE_AMOUNT,
                        "budget_currency": {"type": "string"},
                        "stage": {"$ref": "#/components/schemas/Stage"},
                        "lost_reason": {"type": "string"},
                        "assignee": {
                            "oneOf": [{"$ref": "#/components/schemas/Member"}, {"type": "null"}]
                        },
                        "tags": _TEXT_LIST,
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "assigned_at": {"type": ["string", "null"], "format": "date-time"},
                        "first_response_at": {
                            "type": ["string", "null"],
                            "format": "date-time",
                            "description": "The first outbound contact after the lead arrived.",
                        },
                        "first_response_channel": {
                            "type": "string",
                            "enum": ["", "call", "whatsapp", "email", "sms"],
                        },
                        "merged_into": {"type": ["integer", "null"]},
                    },
                },
                "Stage": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "kind": {"type": "string", "enum": PipelineStage.Kind.values},
                    },
                },
                "Member": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "LeadPage": {
                    "type": "object",
                    "required": ["data", "has_more", "next_cursor"],
                    "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"}},
                        "has_more": {"type": "boolean"},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "LeadCreate": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "At least a phone or an email.",
                    "properties": {
                        **_lead_details_properties(),
                        "phone": {"type": "string", "examples": ["050 123 4567"]},
                        "phones": {**_TEXT_LIST, "maxItems": 5},
                        "message": {"type": "string", "maxLength": 2000},
                        "source_details": {
                            "type": "object",
                            "description": "Where it came from: campaign, form, page…",
                            "maxProperties": 30,
                        },
                    },
                },
                "LeadUpdate": {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "properties": {
                        **_lead_details_properties(),
                        "phones": {**_TEXT_LIST, "maxItems": 5},
                        "stage": {
                            "type": ["integer", "string"],
                            "description": "A stage id, or its name in English or Arabic.",
                        },
                        "lost_reason": {"type": "string", "maxLength": 200},
                        "assignee": {
                            "type": ["integer", "null"],
                            "description": "A team member's id, or null to unassign.",
                        },
                    },
                },
            },
        },
    }

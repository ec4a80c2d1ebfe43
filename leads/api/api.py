"""The NinjaAPI behind `/api/v1/`: API-key auth on every operation, JSON bodies read with our
limits, every error in our shape (see `leads.api.errors`), and the OpenAPI document, which
ninja writes from the schemas the operations validate with.

No docs UI: ninja's loads its scripts from a CDN, and the app serves scripts only from its
own static files. The JSON document is enough for client generators."""

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer

from leads.api.auth import DEFAULT_PER_KEY_PER_MINUTE, ApiKeyAuth
from leads.api.errors import ApiError, api_error_response, invalid, json_text, schema_fields
from leads.api.views import router

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
SECURITY_SCHEME = "apiKey"


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The request's body as one JSON object, or the ApiError that says what is wrong."""
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
    try:
        body = request.body
    except RequestDataTooBig as error:
        raise too_large from error
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
    except RecursionError as error:
        # Nested deeper than Python parses: no reasonable client sends that.
        raise ApiError(400, "invalid_json", _("Send one JSON object, {…}, in the body.")) from error
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", _("Send one JSON object, {…}, in the body."))
    return data


class JsonObjectParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return json_object(request)


class JsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> str:
        return json_text(data)


class LeadsApi(NinjaAPI):
    def get_content_type(self) -> str:
        return "application/json"


api = LeadsApi(
    title="Aqari API",
    version="1.0.0",
    urls_namespace="leads-api-v1",
    openapi_url=None,  # served by the operation below, so it answers like the others
    docs_url=None,
    servers=[{"url": "/api/v1"}],
    auth=ApiKeyAuth(),
    parser=JsonObjectParser(),
    renderer=JsonRenderer(),
    openapi_extra={"security": [{SECURITY_SCHEME: []}]},
)
api.add_router("", router)


def api_description() -> str:
    per_minute = getattr(settings, "AQARI_API_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_KEY_PER_MINUTE)
    return (
        "Your agency's leads. Authenticate with an API key from Settings → API keys: "
        "`Authorization: Bearer aq_…`. Each key works only on its own agency's address. Every "
        'error is JSON: `{"error": {"code", "message", "fields"}}`; branch on `code`, show '
        f"`message` to people. Each key may make {per_minute} requests a minute; over that "
        "the answer is 429 with `Retry-After`."
    )


def openapi_document() -> dict[str, Any]:
    document = api.get_openapi_schema(path_prefix="")
    document["info"]["description"] = api_description()
    # Ninja names a security scheme after its class; v1's document called it `apiKey`.
    schemes = document["components"].get("securitySchemes", {})
    if ApiKeyAuth.__name__ in schemes:
        schemes[SECURITY_SCHEME] = schemes.pop(ApiKeyAuth.__name__)
    for operations in document["paths"].values():
        for operation in operations.values():
            if operation.get("security") == [{ApiKeyAuth.__name__: []}]:
                del operation["security"]  # the document-wide default says the same
    return document


@api.get(
    "/openapi.json",
    auth=None,
    response=dict,
    operation_id="getOpenApi",
    summary="This document",
    url_name="api_openapi",
    openapi_extra={
        "security": [],
        "responses": {200: {"description": "The OpenAPI 3.1 document."}},
    },
)
def openapi(request: HttpRequest) -> dict[str, Any]:
    return openapi_document()


# --- Errors ---------------------------------------------------------------------------------


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error.response()


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    if any(
        p["type"] == "missing" and len(p["loc"]) == 2 and p["loc"][0] == "body"
        for p in error.errors
    ):
        # An empty body never reaches the parser; read it again for the reason it failed.
        try:
            json_object(request)
        except ApiError as problem:
            return problem.response()
    return invalid(schema_fields(error.errors)).response()


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # Ninja wraps what the parser raises in "Cannot parse request body"; ours says more.
    if isinstance(error.__cause__, ApiError):
        return error.__cause__.response()
    code = {400: "invalid_json", 401: "unauthorized", 429: "rate_limited"}
    return api_error_response(
        error.status_code, code.get(error.status_code, "internal_error"), str(error)
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return api_error_response(
        413,
        "payload_too_large",
        _("The body is larger than %(size)s KB. Send less at once.")
        % {"size": MAX_BODY_BYTES // 1024},
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api_error_response(404, "not_found", _("There is no lead with this id in this agency."))


@api.exception_handler(Exception)
def _internal_error(request: HttpRequest, error: Exception) -> HttpResponse:
    match = getattr(request, "resolver_match", None)
    logger.exception("api error", extra={"path_name": getattr(match, "url_name", "")})
    return api_error_response(
        500, "internal_error", _("Something went wrong on our side. Try again in a minute.")
    )

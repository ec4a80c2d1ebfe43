"""Every API error is JSON: `{"error": {"code": ..., "message": ..., "fields": {...}}}`.

`code` is stable (clients branch on it); `message` is a sentence for a person, in the agency's
language when it has one."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _

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


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = str(message)
        self.fields = fields or {}
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        return api_error_response(
            self.status, self.code, self.message, fields=self.fields, headers=self.headers
        )


def json_text(data: Any) -> str:
    """JSON with Arabic and other text as it is, not as \\u escapes. A lone surrogate (only
    ever an echo of what a client sent) cannot be written as UTF-8, so then all of it is
    escaped instead."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, cls=DjangoJSONEncoder)
    return text


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(json_text(data), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    error: dict = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    return json_response({"error": error}, status=status, headers=headers)


def invalid(fields: dict[str, list[str]]) -> ApiError:
    return ApiError(
        400, "invalid", _("Some fields need fixing. See “fields” for each one."), fields=fields
    )


def validation_fields(error: ValidationError, *, rename: dict[str, str] | None = None) -> dict:
    """A ValidationError's messages by field; messages not about one field go under `_`."""
    rename = rename or {}
    if hasattr(error, "error_dict"):
        fields: dict[str, list[str]] = {}
        for name, messages in error.message_dict.items():
            key = "_" if name == "__all__" else rename.get(name, name)
            fields.setdefault(key, []).extend(messages)
        return fields
    return {"_": list(error.messages)}


def _schema_message(problem: dict[str, Any]) -> str:
    """The sentence for one problem pydantic found. Our own field types raise theirs ready
    written; these are pydantic's own checks (unknown fields, the body's outer shape)."""
    kind = problem["type"]
    if kind == "extra_forbidden":
        return _("Unknown field. Check its spelling in the API reference.")
    if kind in {"string_type", "string_unicode"}:
        return _("Send text.")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("Send a whole number.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Send one JSON object, {…}, in the body.")
    # Not reached by today's schemas: a new field type brings its own sentence.
    return str(problem.get("msg", ""))


def schema_fields(problems: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's validation errors by field, as the rest of the API reports them: a body
    field by its name, `_` for the body as a whole, a query parameter by its name."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        source, *loc = problem["loc"]
        if source == "body":
            loc = loc[1:]  # the view's argument name
        name = str(loc[0]) if loc else "_"
        message = _schema_message(problem)
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    return fields

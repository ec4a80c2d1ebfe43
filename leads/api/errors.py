"""Every API error is JSON: `{"error": {"code": ..., "message": ..., "fields": {...}}}`.

`code` is stable (clients branch on it); `message` is a sentence for a person, in the agency's
language when it has one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import JsonResponse


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

    def response(self) -> JsonResponse:
        return api_error_response(
            self.status, self.code, self.message, fields=self.fields, headers=self.headers
        )


def api_error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    error: dict = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    response = JsonResponse(
        {"error": error}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


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

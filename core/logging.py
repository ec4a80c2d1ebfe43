"""Structured logs without personal data.

Log calls should carry ids only; this filter is the safety net that scrubs email addresses and
phone numbers from the message, its arguments and any extra fields before a handler sees them.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from django.db import connection

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# International or local phone numbers: 7+ digits with optional +, spaces, dashes, dots, brackets.
PHONE_RE = re.compile(r"(?<![\w/])(?:\+|00)?\d(?:[\s\-.()]*\d){6,14}(?!\w)")
# Shapes PHONE_RE would take for a phone number but that carry none: UUIDs (Celery task ids)
# and ISO dates and times. They are kept as they are.
NOT_A_PHONE_RE = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?)?(?!\d)",
    re.IGNORECASE,
)
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


def scrub(text: str) -> str:
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    kept, start = [], 0
    for match in NOT_A_PHONE_RE.finditer(text):
        kept += [PHONE_RE.sub(PHONE_MASK, text[start : match.start()]), match.group(0)]
        start = match.end()
    return "".join([*kept, PHONE_RE.sub(PHONE_MASK, text[start:])])


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(v) for v in value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return scrub(str(value))


class ScrubPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _scrub_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        schema = getattr(connection, "schema_name", None)
        if schema:
            payload["schema"] = schema
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)

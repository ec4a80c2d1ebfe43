"""Logs carry no email addresses or phone numbers, whatever a log call passes in."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core.logging import JsonFormatter, ScrubPersonalDataFilter

PHONES = [
    "+971 50 123 4567",
    "+971501234567",
    "+971-50-123-4567",
    "0501234567",
    "050 123 4567",
    "050-123-4567",
    "00971501234567",
    "04 123 4567",
]


def record(msg: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("aqari.test", logging.INFO, __file__, 1, msg, args or None, exc_info)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def scrubbed(rec: logging.LogRecord) -> logging.LogRecord:
    assert ScrubPersonalDataFilter().filter(rec) is True
    return rec


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_removed_from_the_message(phone):
    # when
    rec = scrubbed(record(f"lead called from {phone} about the villa"))

    # then
    assert rec.getMessage() == "lead called from [phone] about the villa"


def test_emails_and_phones_are_removed_from_arguments():
    # when
    rec = scrubbed(record("reply from %s (%s) to lead %s", "Sara.Ali@example.ae", "0501234567", 42))

    # then
    assert rec.getMessage() == "reply from [email] ([phone]) to lead 42"


def test_extra_fields_are_scrubbed_and_ids_kept():
    # when
    rec = scrubbed(
        record(
            "lead created",
            lead_id=12345,
            message_id=987654321,
            sender="+971 50 123 4567",
            contact={"email": "owner@villa.ae", "phones": ["00971501234567"], "rooms": 4},
            source="web form",
        )
    )

    # then
    assert rec.lead_id == 12345
    assert rec.message_id == 987654321
    assert rec.sender == "[phone]"
    assert rec.contact == {"email": "[email]", "phones": ["[phone]"], "rooms": 4}
    assert rec.source == "web form"


@pytest.mark.parametrize(
    "text",
    [
        "lead_id=12345 moved to stage 3",
        "took 250 ms, status 200, 3 retries",
        "budget 950000 AED for 2 bedrooms",
        "purge before 2025-01-31 10:00:00",
        "sent at 2025-01-31T10:00:00.123+04:00",
        "Task core.tasks.email_send[12345678-1234-4662-8074-123456789012] succeeded",
    ],
)
def test_ordinary_numbers_ids_dates_and_task_ids_survive(text):
    # when
    rec = scrubbed(record(text))

    # then
    assert rec.getMessage() == text


def test_exception_text_is_scrubbed():
    # given
    try:
        raise ValueError("no lead for hala@example.ae or +971 50 123 4567")
    except ValueError:
        import sys

        rec = record("lookup failed for lead_id=%s", 12345, exc_info=sys.exc_info())

    # when
    scrubbed(rec)
    output = logging.Formatter("%(message)s").format(rec)

    # then
    assert "ValueError: no lead for [email] or [phone]" in output
    assert "lookup failed for lead_id=12345" in output
    assert "hala@" not in output and "123 4567" not in output


def console_handler() -> logging.Handler:
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return handler


@pytest.mark.parametrize("formatter", ["plain", "json"])
def test_a_real_log_call_through_the_console_handler_shows_no_personal_data(formatter):
    # given
    handler = console_handler()
    stream = io.StringIO()
    previous_stream = handler.setStream(stream)
    previous_formatter = handler.formatter
    if formatter == "json":
        handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("aqari.tests.logging")

    # when
    try:
        logger.info(
            "inbound WhatsApp from %s for %s",
            "+971 50 123 4567",
            "Omar <omar.k@example.ae>",
            extra={"lead_id": 12345, "reply_to": "0501234567"},
        )
        try:
            raise RuntimeError("provider refused 00971501234567")
        except RuntimeError:
            logger.exception("send failed", extra={"lead_id": 12345})
    finally:
        handler.setStream(previous_stream)
        handler.setFormatter(previous_formatter)

    # then
    output = stream.getvalue()
    assert "inbound WhatsApp from [phone] for Omar <[email]>" in output
    assert "provider refused [phone]" in output
    for secret in ("omar.k", "example.ae", "123 4567", "0501234567", "00971501234567"):
        assert secret not in output
    if formatter == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert lines[0]["lead_id"] == 12345
        assert lines[0]["reply_to"] == "[phone]"

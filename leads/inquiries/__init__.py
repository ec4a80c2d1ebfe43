"""The inquiry every channel produces, and the parsers that produce one: named form fields
(website forms, Meta lead ads) and Meta's webhook payloads. Below services: no writes here."""

from leads.inquiries.inquiry import FILLED_WHEN_EMPTY, FILLED_WHEN_UNSET, Inquiry, inquiry_clean

__all__ = ["FILLED_WHEN_EMPTY", "FILLED_WHEN_UNSET", "Inquiry", "inquiry_clean"]

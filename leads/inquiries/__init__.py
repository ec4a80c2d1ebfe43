"""The inquiry every channel produces, and the parsers that produce one: named form fields
(website forms, Meta lead ads) and Meta's webhook payloads. Below services: no writes here."""

from leads.inquiries.inquiry import Inquiry, inquiry_clean, inquiry_lead_values

__all__ = ["Inquiry", "inquiry_clean", "inquiry_lead_values"]

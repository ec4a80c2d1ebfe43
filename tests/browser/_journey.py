"""What the lead journey needs besides the shared page helpers: the people and numbers of one
journey, a contact form on the agency's host, and whole-page screenshots."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.pages import SCREENSHOTS

MESSY_CSV = (
    Path(__file__).resolve().parents[2] / "leads/tests/fixtures/csv/leads_messy_utf8_bom.csv"
)


@dataclass(frozen=True)
class Journey:
    """One walk through the journey: a language, a screen width, and a person of its own (the
    session's agencies are shared, so no two journeys send the same phone or email)."""

    language: str
    viewport: dict
    locale: str
    name: str
    phone: str  # as the visitor types it
    e164: str
    email: str
    searches: tuple[str, ...]  # partial numbers as staff type them into the search box
    stages: tuple[str, ...]  # New, Contacted, Qualified, Viewing as the stage menu names them
    texts: dict[str, str] = field(default_factory=dict)  # words the pages show, by key

    @property
    def width(self) -> int:
        return self.viewport["width"]

    def __str__(self) -> str:
        return f"{self.language}-{self.width}"


def shot(page: Page, journey: Journey, step: str) -> Path:
    """The whole page (a phone page is long) as `leads-journey-<lang>-<width>-<step>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"leads-journey-{journey}-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def put_contact_form(page: Page, action: str, *, lang: str, hidden: dict[str, str]) -> None:
    """Replace the open page (on the agency's host, so the form is same-origin) with a plain
    HTML contact form that posts to `action`, as a website without any script would."""
    hidden_inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in hidden.items()
    )
    page.set_content(
        f'<!doctype html><html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        "<title>Contact</title>"
        f'<form method="post" action="{html.escape(action)}">{hidden_inputs}'
        '<p><label>Name <input name="name"></label></p>'
        '<p><label>Phone <input name="phone" type="tel"></label></p>'
        '<p><label>Email <input name="email" type="email"></label></p>'
        '<p><label>Message <textarea name="message"></textarea></label></p>'
        '<p><button type="submit">Send</button></p></form></html>'
    )

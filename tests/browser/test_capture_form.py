"""Website forms in a real browser: the admin copies the snippet from Settings, a visitor on the
agency's own website (another origin) sends it, in English and in Arabic on a phone, and the
enquiry becomes one lead."""

from __future__ import annotations

import http.server
import threading

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed
from tests.browser.pages import (
    PHONE,
    at_each_width,
    horizontal_overflow,
    screenshot,
    sign_in,
    small_tap_targets,
    switch_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


class AgencyWebsite:
    """The agency's own website: a real server on another port of this machine (Chromium lets a
    page reach a loopback address only from a loopback page), serving the pages a test puts."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        website = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = website.pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, snippet: str, *, lang: str) -> str:
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Alpha Homes</title><h1>Alpha Homes</h1>{snippet}</html>"
        )
        return self.origin + path


@pytest.fixture
def agency_website(live_agency_server, settings):
    # The snippet posts to the app's public address, which here is the test server's.
    settings.AQARI_PUBLIC_PORT = str(live_agency_server.port)
    website = AgencyWebsite()
    yield website
    website.server.shutdown()
    website.server.server_close()


@pytest.fixture
def website_form(two_agencies, agency_website, django_db_blocker):
    """A form of agency A tied to its website; it and the leads it brought are removed after."""
    from django_tenants.utils import schema_context

    from accounts.models import Membership
    from leads.models import CaptureForm, Lead
    from leads.services.capture import capture_form_create

    fixture = two_agencies["a"]

    def create():
        with schema_context(fixture.schema_name):
            admin = Membership.objects.get(user_id=fixture.users["admin"].pk)
            return capture_form_create(
                actor=admin, name="Contact page", allowed_origins=[agency_website.origin]
            )

    capture_form = committed(create, django_db_blocker)
    yield capture_form

    def remove() -> None:
        with schema_context(fixture.schema_name):
            Lead.objects.filter(source_details__capture_form_id=capture_form.pk).delete()
            CaptureForm.objects.filter(pk=capture_form.pk).delete()

    committed(remove, django_db_blocker)


def leads_from(capture_form, two_agencies, django_db_blocker) -> list[dict]:
    from django_tenants.utils import schema_context

    from leads.models import Lead

    def read() -> list[dict]:
        with schema_context(two_agencies["a"].schema_name):
            return [
                {
                    "name": lead.full_name,
                    "phones": lead.phones,
                    "details": lead.source_details,
                    "timeline": list(lead.activities.values_list("kind", flat=True)),
                }
                for lead in Lead.objects.filter(source_details__capture_form_id=capture_form.pk)
            ]

    return committed(read, django_db_blocker)


def copy_snippet(page, settings_url: str) -> str:
    page.goto(settings_url)
    page.locator("details.secret summary").click()
    return page.locator("details.secret pre code").text_content()


def test_a_visitor_sends_the_snippet_from_the_agencys_website_and_becomes_one_lead(
    page,
    chromium,
    two_agencies,
    agency_a_url,
    agency_website,
    website_form,
    restore_languages,
    django_db_blocker,
):
    # given the admin copies the English snippet from Settings
    sign_in(page, agency_a_url("/accounts/login/"), two_agencies["a"].users["admin"].email)
    snippet = copy_snippet(page, agency_a_url("/settings/capture-forms/?snippet=en"))
    assert f"/capture/{website_form.token}/" in snippet
    for width in at_each_width(page):
        screenshot(page, f"capture-forms-en-{width}")
        if width == PHONE["width"]:
            assert horizontal_overflow(page) == 0
            assert small_tap_targets(page) == []

    # when a visitor on the agency's website sends it from their phone
    contact_page = agency_website.put("/contact/", snippet, lang="en")
    visitor = chromium.new_context(viewport=PHONE, locale="en-US")
    site = visitor.new_page()
    site.goto(f"{contact_page}?utm_source=instagram")
    site.fill("input[name=name]", "Hessa Al Marri")
    site.fill("input[name=phone]", "050 111 2233")
    site.fill("textarea[name=message]", "A 2-bed in Dubai Hills, please.")
    site.locator("button[type=submit]").click()

    # then they are thanked, and the agency has the lead with where it came from
    expect(site.locator("[data-aqari-status]")).to_have_text("Thank you. We will be in touch soon.")
    screenshot(site, "capture-website-sent-en-360")
    [lead] = leads_from(website_form, two_agencies, django_db_blocker)
    assert lead["name"] == "Hessa Al Marri"
    assert lead["phones"] == ["+971501112233"]
    assert lead["details"]["utm_source"] == "instagram"
    assert lead["details"]["origin"] == agency_website.origin

    # when the admin takes the Arabic snippet, and the same person writes again in Arabic
    switch_language(page)
    arabic_snippet = copy_snippet(page, agency_a_url("/settings/capture-forms/?snippet=ar"))
    for width in at_each_width(page):
        screenshot(page, f"capture-forms-ar-{width}")
        if width == PHONE["width"]:
            assert horizontal_overflow(page) == 0
    site.goto(agency_website.put("/ar/contact/", arabic_snippet, lang="ar"))
    site.fill("input[name=name]", "حصة المري")
    site.fill("input[name=phone]", "+971 50 111 2233")
    site.locator("button[type=submit]").click()

    # then they are thanked in Arabic, and it is the same lead, with a second inquiry
    expect(site.locator("[data-aqari-status]")).to_have_text("شكرًا لك. سنتواصل معك قريبًا.")
    screenshot(site, "capture-website-sent-ar-360")
    [lead] = leads_from(website_form, two_agencies, django_db_blocker)
    assert lead["timeline"] == ["created", "inquiry"]

    # when a mistyped number is sent
    site.fill("input[name=name]", "حصة المري")
    site.fill("input[name=phone]", "050 12")
    site.locator("button[type=submit]").click()

    # then the visitor reads what to fix, in Arabic, and nothing is added
    expect(site.locator("[data-aqari-status]")).to_contain_text("050 12")
    screenshot(site, "capture-website-invalid-ar-360")
    assert len(leads_from(website_form, two_agencies, django_db_blocker)) == 1
    visitor.close()


def test_a_site_the_form_is_not_tied_to_cannot_send_it(
    page, chromium, two_agencies, agency_a_url, agency_website, website_form, django_db_blocker
):
    # given the snippet copied onto some other website
    sign_in(page, agency_a_url("/accounts/login/"), two_agencies["a"].users["admin"].email)
    snippet = copy_snippet(page, agency_a_url("/settings/capture-forms/?snippet=en"))
    other_site = agency_website.put("/form/", snippet, lang="en").replace("localhost", "127.0.0.1")
    visitor = chromium.new_context(viewport=PHONE, locale="en-US")
    site = visitor.new_page()

    # when
    site.goto(other_site)
    site.fill("input[name=name]", "Someone")
    site.fill("input[name=phone]", "050 999 8877")
    site.locator("button[type=submit]").click()

    # then the browser is not allowed to send it, and no lead arrives
    expect(site.locator("[data-aqari-status]")).to_contain_text("could not be sent")
    assert leads_from(website_form, two_agencies, django_db_blocker) == []
    visitor.close()

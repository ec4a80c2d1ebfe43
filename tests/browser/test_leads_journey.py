"""A lead's journey in a real browser, in English on a desktop and in Arabic on a phone: a visitor
sends the agency's website form, a manager imports a messy spreadsheet, finds the visitor by a
few digits of their number and hands them to an agent, who moves them through the pipeline."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from playwright.sync_api import expect

from tests.browser._journey import MESSY_CSV, Journey, put_contact_form, shot
from tests.browser.conftest import committed
from tests.browser.pages import (
    DESKTOP,
    PHONE,
    horizontal_overflow,
    sign_in,
    switch_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AGENT_NAME = "Alpha Homes Agent"
# Columns of the messy file and the fields they are matched to from their headings.
MESSY_MAPPING = [
    ("Name", "full_name"),
    ("Mobile", "phone"),
    ("Email", "email"),
    ("Source", "source"),
    ("Budget (AED)", "budget"),
    ("Community", "community"),
    ("Bedrooms", "bedrooms"),
    ("Notes", "notes"),
]

ENGLISH = Journey(
    language="en",
    viewport=DESKTOP,
    locale="en-US",
    name="Noura Haddad",
    phone="050 734 5218",
    e164="+971507345218",
    email="noura.haddad.journey@example.com",
    searches=("5218", "050 734"),
    stages=("New", "Contacted", "Qualified", "Viewing"),
    texts={
        "thanks": "Thank you",
        "start": "Import 9 rows",
        "rows": "9 rows",
        "import_done": "Import finished",
        "created": "Lead created from Website",
        "assigned": f"Assigned to {AGENT_NAME}",
        "stage": "Stage changed from {old} to {new}",
        "form_detail": "Form: Journey contact page",
    },
)
ARABIC = Journey(
    language="ar",
    viewport=PHONE,
    locale="ar-AE",
    name="نورة الحداد",
    phone="055 846 2907",
    e164="+971558462907",
    email="noura.alhaddad.journey@example.ae",
    # An Arabic phone keyboard types Arabic-Indic digits.
    searches=("٢٩٠٧", "٠٥٥ ٨٤٦"),
    stages=("جديد", "تم التواصل", "مؤهل", "معاينة"),
    texts={
        "thanks": "شكرًا لك",
        "start": "استيراد 9 صفوف",
        "rows": "9 صفوف",
        "import_done": "اكتمل الاستيراد",
        "created": "أُضيف العميل المحتمل من الموقع الإلكتروني",
        "assigned": f"أُسند إلى {AGENT_NAME}",
        "stage": "تغيّرت المرحلة من {old} إلى {new}",
        "form_detail": "النموذج: Journey contact page",
    },
)


@pytest.fixture
def website_form(two_agencies, django_db_blocker):
    """A website form of agency A. Afterwards it is removed with every lead and import this
    test made (they were committed for the server to see, and the session's agencies outlive
    the test)."""
    from django.db.models import Max
    from django_tenants.utils import schema_context

    from accounts.models import Membership
    from leads.models import CaptureForm, ImportJob, Lead
    from leads.services.capture import capture_form_create

    fixture = two_agencies["a"]

    def create():
        with schema_context(fixture.schema_name):
            admin = Membership.objects.get(user_id=fixture.users["admin"].pk)
            last_job = ImportJob.objects.aggregate(last=Max("pk"))["last"] or 0
            return capture_form_create(actor=admin, name="Journey contact page"), last_job

    capture_form, last_job = committed(create, django_db_blocker)
    yield capture_form

    def remove() -> None:
        with schema_context(fixture.schema_name):
            jobs = list(ImportJob.objects.filter(pk__gt=last_job))
            job_ids = [job.pk for job in jobs]
            Lead.objects.filter(source_details__capture_form_id=capture_form.pk).delete()
            Lead.objects.filter(source_details__import_job__in=job_ids).delete()
            for job in jobs:
                job.rejected_file.delete(save=False)
                job.file.delete(save=False)
            ImportJob.objects.filter(pk__in=job_ids).delete()
            CaptureForm.objects.filter(pk=capture_form.pk).delete()

    committed(remove, django_db_blocker)


def captured_lead(two_agencies, django_db_blocker, capture_form) -> dict | None:
    from django_tenants.utils import schema_context

    from leads.models import Lead

    def read() -> dict | None:
        with schema_context(two_agencies["a"].schema_name):
            lead = Lead.objects.filter(source_details__capture_form_id=capture_form.pk).first()
            if lead is None:
                return None
            return {"id": lead.pk, "name": lead.full_name, "phones": lead.phones}

    return committed(read, django_db_blocker)


def stage_change(texts: dict, old: str, new: str) -> str:
    """The timeline's line for a stage move, each stage named in the reader's language."""
    return texts["stage"].format(old=old, new=new)


def fits_the_screen(page, journey: Journey) -> None:
    if journey.viewport == PHONE:
        assert horizontal_overflow(page) == 0, f"{page.url} is wider than a phone"


@pytest.mark.parametrize("journey", [ENGLISH, ARABIC], ids=str)
def test_a_lead_is_captured_imported_found_assigned_and_worked(
    chromium,
    two_agencies,
    agency_a_url,
    website_form,
    restore_languages,
    outbox,
    django_db_blocker,
    journey,
):
    texts = journey.texts
    context = chromium.new_context(
        viewport=journey.viewport, device_scale_factor=1, locale=journey.locale
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()

        # --- 1. a visitor sends the website form -----------------------------------------
        # given a contact form on a page of the agency's host
        page.goto(agency_a_url("/accounts/login/"))
        put_contact_form(
            page,
            agency_a_url(f"/capture/{website_form.token}/"),
            lang=journey.language,
            hidden={"lang": journey.language},
        )
        page.fill("input[name=name]", journey.name)
        page.fill("input[name=phone]", journey.phone)
        page.fill("input[name=email]", journey.email)
        page.fill("textarea[name=message]", "Looking for a 2-bed in Dubai Hills.")

        # when they send it
        with page.expect_response(lambda r: "/capture/" in r.url) as sent:
            page.locator("button[type=submit]").click()

        # then it is taken (201) and they are thanked in their language
        assert sent.value.status == 201
        expect(page.locator("h1")).to_have_text(texts["thanks"])
        expect(page.locator("html")).to_have_attribute("lang", journey.language)
        shot(page, journey, "1-captured")
        lead = captured_lead(two_agencies, django_db_blocker, website_form)
        assert lead is not None and lead["phones"] == [journey.e164]

        # --- 2. a manager imports a messy spreadsheet ------------------------------------
        # given the manager signed in, in their language
        sign_in(page, agency_a_url("/accounts/login/"), two_agencies["a"].users["manager"].email)
        if journey.language == "ar":
            switch_language(page)
        expect(page.locator("html")).to_have_attribute("lang", journey.language)
        page.goto(agency_a_url("/leads/"))
        page.locator(".page-head a[href$='/leads/import/']").click()
        expect(page).to_have_url(agency_a_url("/leads/import/"))
        fits_the_screen(page, journey)

        # when they upload the file
        page.set_input_files("#id_file", str(MESSY_CSV))
        shot(page, journey, "2-import-upload")
        page.locator("form.import-upload button[type=submit]").click()

        # then each column is matched from its heading, and the preview shows each row's
        # problems: one row with no way to reach anyone, a bad email, a bad phone
        expect(page).to_have_url(re.compile(r"/leads/import/\d+/$"))
        selects = page.locator(".import-column select")
        expect(selects).to_have_count(len(MESSY_MAPPING))
        labels = [text.strip() for text in page.locator(".import-column label").all_inner_texts()]
        assert labels == [heading for heading, _ in MESSY_MAPPING]
        assert [selects.nth(i).input_value() for i in range(len(MESSY_MAPPING))] == [
            field for _, field in MESSY_MAPPING
        ]
        rows = page.locator(".import-rows > li")
        expect(rows).to_have_count(9)
        rejected = page.locator(".import-row-rejected")
        expect(rejected).to_have_count(1)
        expect(rejected.locator(".import-row-no")).to_have_text("5")
        expect(rejected.locator(".import-problem")).to_have_count(1)
        # Kept without what could not be read, and said so: a bad email, two bad phones.
        for row, value in ((7, "not-an-email"), (8, "+44 7700 900123"), (9, "12345")):
            expect(rows.nth(row - 1).locator(".import-problem")).to_contain_text(value)
        expect(page.locator(".import-problem")).to_have_count(4)
        expect(rows.nth(3).locator(".import-row-outcome")).to_contain_text("1")  # as row 1
        start = page.locator("button[name=action][value=start]")
        expect(start).to_have_text(texts["start"])
        expect(page.locator(".import-meta")).to_contain_text(texts["rows"])
        # A sample phone number reads left to right, as typed, in either language.
        phone_sample = page.locator("#id_column_1-sample bdi")
        expect(phone_sample).to_have_text("050 123 4567")
        assert phone_sample.evaluate("el => getComputedStyle(el).direction") == "ltr"
        fits_the_screen(page, journey)
        shot(page, journey, "3-import-preview")

        # when they start it with the columns as matched
        start.click()

        # then the progress ends in the report: 7 new, 1 joined its earlier row, 1 refused
        progress = page.locator("#progress")
        expect(progress.locator("h2")).to_have_text(texts["import_done"], timeout=20_000)
        figures = progress.locator(".import-figures .card-figure")
        expect(figures).to_have_text(["7", "1", "1"])
        expect(progress.locator("a[href$='/problems.csv']")).to_be_visible()
        fits_the_screen(page, journey)
        shot(page, journey, "4-import-report")

        # --- 3. they find the visitor by part of their number ----------------------------
        page.goto(agency_a_url("/leads/"))
        for number, step in zip(
            journey.searches, ("5-search-last-digits", "6-search-prefix"), strict=True
        ):
            # when
            page.fill("#id_q", number)
            page.locator(".lead-search button[type=submit]").click()

            # then only that lead is listed
            expect(page).to_have_url(re.compile(r"[?&]q="))
            found = page.locator("#lead-results .lead-row")
            expect(found).to_have_count(1)
            expect(found.locator(".lr-name")).to_have_text(journey.name)
            expect(found.locator(".lr-name")).to_have_attribute("href", f"/leads/{lead['id']}/")
            fits_the_screen(page, journey)
            shot(page, journey, step)

        # --- 4. they open it and hand it to the agent ------------------------------------
        page.locator("#lead-results .lr-name").click()
        expect(page).to_have_url(agency_a_url(f"/leads/{lead['id']}/"))
        expect(page.locator("h1")).to_have_text(journey.name)
        expect(page.locator("#timeline")).to_contain_text(texts["created"])
        source = page.locator("#details-card .lead-facts > div", has_text="Journey contact page")
        expect(source).to_have_count(1)
        expect(source).to_contain_text(texts["form_detail"])
        fits_the_screen(page, journey)
        shot(page, journey, "7-lead")

        page.locator("#id_assignee").select_option(label=AGENT_NAME)
        page.locator("#details-card form[action$='/assign/'] button[type=submit]").click()
        expect(page.locator("#details-card .lead-facts")).to_contain_text(AGENT_NAME)
        expect(page.locator("#timeline .tl-item").first).to_contain_text(texts["assigned"])
        shot(page, journey, "8-assigned")
        agent_email = two_agencies["a"].users["agent"].email
        assert any(
            journey.name in mail["subject"] and agent_email in mail["to"]
            for mail in outbox("email")
        ), "the agent is told about the lead"

        # --- 5. the agent moves it through the pipeline ----------------------------------
        agent = context.browser.new_context(
            viewport=journey.viewport, device_scale_factor=1, locale=journey.locale
        )
        agent.set_default_timeout(10_000)
        try:
            mine = agent.new_page()
            sign_in(mine, agency_a_url("/accounts/login/"), agent_email)
            if journey.language == "ar":
                switch_language(mine)
            mine.goto(agency_a_url("/leads/"))
            mine.locator(f"#lead-results .lr-name[href='/leads/{lead['id']}/']").click()
            expect(mine.locator("h1")).to_have_text(journey.name)

            moves = list(pairwise(journey.stages))
            for count, (old, new) in enumerate(moves, start=3):
                # when
                mine.locator("#id_stage").select_option(label=new)
                mine.locator("#stage-card button[type=submit]").click()

                # then the stage shows at the top, and the move on the timeline
                expect(mine.locator("#lead-status .pill").first).to_have_text(new)
                entries = mine.locator("#timeline .tl-item")
                expect(entries).to_have_count(count)
                expect(entries.first.locator(".tl-what")).to_have_text(
                    stage_change(texts, old, new)
                )

            # then the whole story is on the timeline, newest first
            story = [stage_change(texts, old, new) for old, new in reversed(moves)] + [
                texts["assigned"],
                texts["created"],
            ]
            expect(mine.locator("#timeline .tl-item .tl-what")).to_have_text(story)
            fits_the_screen(mine, journey)
            shot(mine, journey, "9-pipeline")
        finally:
            agent.close()
    finally:
        context.close()

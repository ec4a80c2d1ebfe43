"""The Tasks page in a real browser: an agent's day on a desk and on a phone, in English and
Arabic, and ticking a task off in place."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed
from tests.browser.pages import (
    at_each_width,
    horizontal_overflow,
    screenshot,
    sign_in,
    small_tap_targets,
    switch_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

TASKS = (
    ("Send the floor plan", dt.timedelta(hours=-20)),
    ("Confirm Saturday's viewing at Marina Gate", dt.timedelta(days=2)),
    ("Ask which bank pre-approved the mortgage", None),
)


@pytest.fixture
def agent_day(two_agencies, django_db_blocker):
    """A lead of agency A's agent with three tasks, committed for the server to see, and
    removed afterwards."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import Membership
    from leads import services
    from leads.models import Lead
    from leads.services import Inquiry, lead_capture

    fixture = two_agencies["a"]

    def create() -> int:
        with schema_context(fixture.schema_name):
            agent = Membership.objects.get(user_id=fixture.users["agent"].pk)
            lead = lead_capture(
                inquiry=Inquiry(source="website", full_name="ريم الكعبي", phones=["050 611 2233"])
            ).lead
            Lead.objects.filter(pk=lead.pk).update(assignee=agent)
            lead.refresh_from_db()
            for title, due_in in TASKS:
                services.follow_up_create(
                    lead=lead,
                    actor=agent,
                    title=title,
                    due_at=timezone.now() + due_in if due_in is not None else None,
                )
            return lead.pk

    lead_id = committed(create, django_db_blocker)
    yield lead_id

    def remove() -> None:
        with schema_context(fixture.schema_name):
            Lead.objects.filter(pk=lead_id).delete()

    committed(remove, django_db_blocker)


def test_an_agent_works_through_the_day_in_english_and_arabic(
    page, two_agencies, agency_a_url, restore_languages, agent_day
):
    sign_in(page, agency_a_url("/accounts/login/"), two_agencies["a"].users["agent"].email)
    page.goto(agency_a_url("/tasks/"))

    overdue = page.locator(".task-group-overdue")
    expect(overdue).to_contain_text("Send the floor plan")
    expect(page.locator(".task-group-upcoming")).to_contain_text("Marina Gate")
    expect(page.locator(".task-group-undated")).to_contain_text("mortgage")
    expect(overdue.locator(f"a[href='/leads/{agent_day}/'] .task-lead")).to_have_text("ريم الكعبي")
    for width in at_each_width(page):
        screenshot(page, f"tasks-en-{width}")
        if width == 360:
            assert horizontal_overflow(page) == 0
            assert small_tap_targets(page) == []

    # when the overdue one is done
    overdue.locator("button.lead-task-check").first.click()

    # then it leaves the list for the done ones, without a page load
    expect(page.locator(".task-group-overdue")).to_have_count(0)
    expect(page.locator(".task-done summary")).to_contain_text("(1)")

    switch_language(page)
    expect(page.locator("h1")).to_have_text("المهام")
    expect(page.locator(".task-group-upcoming h2")).to_contain_text("القادمة")
    for width in at_each_width(page):
        screenshot(page, f"tasks-ar-{width}")
        if width == 360:
            assert horizontal_overflow(page) == 0
            assert small_tap_targets(page) == []

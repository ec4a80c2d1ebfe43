"""The app shell in a real browser: signing in, what each role sees, Arabic, phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    PHONE,
    at_each_width,
    horizontal_overflow,
    screenshot,
    sidenav_labels,
    sign_in,
    sign_out,
    small_tap_targets,
    switch_language,
    tabbar_labels,
)

# django_db: the session's agencies live in the test database, which pytest-django creates only
# for tests that ask for it. The server answers on its own connections, so it sees only what
# the session committed, never this test's rolled-back transaction.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

NAV_EN = {
    "admin": ["Today", "Leads", "Inbox", "Tasks", "Reports", "Settings"],
    "manager": ["Today", "Leads", "Inbox", "Tasks", "Reports"],
    "agent": ["Today", "Leads", "Inbox", "Tasks"],
    "privacy_officer": ["Today", "Privacy"],
}
ARABIC = {
    "Today": "اليوم",
    "Leads": "العملاء المحتملون",
    "Inbox": "صندوق الوارد",
    "Tasks": "المهام",
    "Reports": "التقارير",
    "Privacy": "الخصوصية",
    "Settings": "الإعدادات",
}
ROLES = list(NAV_EN)


def _check_phone_layout(page) -> None:
    assert horizontal_overflow(page) == 0
    assert small_tap_targets(page) == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_sections_in_english_and_arabic(
    page, two_agencies, agency_a_url, restore_languages, role
):
    # given
    user = two_agencies["a"].users[role]
    name = role.replace("_", "-")

    # when
    sign_in(page, agency_a_url("/accounts/login/"), user.email)

    # then
    expect(page).to_have_url(agency_a_url("/"))
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert sidenav_labels(page) == NAV_EN[role]
    for width in at_each_width(page):
        screenshot(page, f"shell-{name}-en-{width}")
        if width == 360:
            # The phone tab bar leaves out Reports (a desk job) but nothing else.
            assert tabbar_labels(page) == [i for i in NAV_EN[role] if i != "Reports"]
            _check_phone_layout(page)

    # when
    switch_language(page)

    # then
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    assert sidenav_labels(page) == [ARABIC[item] for item in NAV_EN[role]]
    sidenav, content = page.locator(".sidenav").bounding_box(), page.locator("main").bounding_box()
    assert sidenav["x"] > content["x"], "the side navigation sits on the right in Arabic"
    for width in at_each_width(page):
        screenshot(page, f"shell-{name}-ar-{width}")
        if width == 360:
            _check_phone_layout(page)


def test_language_is_remembered_per_user_not_per_browser(
    browser_context, chromium, two_agencies, agency_a_url, restore_languages
):
    # given: an agent chose Arabic and signed out
    agent = two_agencies["a"].users["agent"]
    page = browser_context.new_page()
    sign_in(page, agency_a_url("/accounts/login/"), agent.email)
    switch_language(page)
    sign_out(page)
    expect(page.locator("h1")).to_have_text("تسجيل الدخول")

    # when: they sign in again from a browser that has never seen Aqari
    fresh = chromium.new_context(locale="en-US")
    try:
        other = fresh.new_page()
        other.goto(agency_a_url("/accounts/login/"))
        expect(other.locator("html")).to_have_attribute("lang", "en")
        sign_in(other, None, agent.email)

        # then
        expect(other.locator("html")).to_have_attribute("dir", "rtl")
        expect(other.locator(".sidenav")).to_contain_text(ARABIC["Leads"])
    finally:
        fresh.close()


def test_wrong_password_is_explained_next_to_the_form(page, two_agencies, agency_a_url):
    # given
    manager = two_agencies["a"].users["manager"]

    # when
    sign_in(page, agency_a_url("/accounts/login/"), manager.email, password="not-the-password")

    # then
    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("password you specified are not correct")
    expect(page.locator("#id_login")).to_have_value(manager.email)
    expect(page.locator("#id_password")).to_have_value("")
    expect(page).to_have_url(agency_a_url("/accounts/login/"))


def test_staff_of_another_agency_cannot_sign_in_here(page, two_agencies, agency_a_url):
    # given
    outsider = two_agencies["b"].users["admin"]

    # when
    sign_in(page, agency_a_url("/accounts/login/"), outsider.email)

    # then
    expect(page.get_by_role("alert")).to_contain_text("not a member of this agency")
    expect(page).to_have_url(agency_a_url("/accounts/login/"))
    expect(page.locator(".sidenav")).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_sign_in_page_fits_desktop_and_phone(browser_context, agency_a_url, language):
    # given
    browser_context.add_cookies(
        [{"name": "aqari_language", "value": language, "url": agency_a_url()}]
    )
    page = browser_context.new_page()

    # when
    page.goto(agency_a_url("/accounts/login/"))

    # then
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#id_login")).to_have_attribute("dir", "ltr")
    for width in at_each_width(page):
        screenshot(page, f"login-{language}-{width}")
        if width == 360:
            _check_phone_layout(page)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_account_security_pages_fit_a_phone(
    page, two_agencies, agency_a_url, restore_languages, language
):
    # given
    admin = two_agencies["a"].users["admin"]
    sign_in(page, agency_a_url("/accounts/login/"), admin.email)
    if language == "ar":
        switch_language(page)
    page.set_viewport_size(PHONE)

    for path, name in [
        ("/accounts/2fa/", "mfa"),
        ("/accounts/password/change/", "password-change"),
        ("/accounts/logout/", "logout"),
    ]:
        # when
        page.goto(agency_a_url(path))

        # then
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("h1")).to_be_visible()
        screenshot(page, f"account-{name}-{language}-360")
        _check_phone_layout(page)

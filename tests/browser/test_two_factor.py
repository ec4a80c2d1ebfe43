"""Two-factor authentication in a real browser, in Arabic on a phone: set it up by scanning the
QR code, keep the recovery codes, and sign in with one of them."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import committed
from tests.browser.pages import PHONE, screenshot, sign_in, sign_out, switch_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def confirmed_manager_of_b(two_agencies, django_db_blocker, restore_languages):
    """Agency B's manager with a confirmed email (allauth sets up a second factor only on a
    confirmed address), and no second factor left behind afterwards."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user = two_agencies["b"].users["manager"]

    def confirm() -> list[tuple[int, bool]]:
        before = list(EmailAddress.objects.filter(user=user).values_list("pk", "verified"))
        EmailAddress.objects.filter(user=user).update(verified=True)
        return before

    before = committed(confirm, django_db_blocker)
    yield user

    def restore() -> None:
        Authenticator.objects.filter(user=user).delete()
        for pk, verified in before:
            EmailAddress.objects.filter(pk=pk).update(verified=verified)

    committed(restore, django_db_blocker)


def current_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_set_up_an_authenticator_app_and_sign_in_with_a_recovery_code(
    page, two_agencies, live_agency_server, confirmed_manager_of_b
):
    # given
    host = two_agencies["b"].host
    url = lambda path: live_agency_server.url(host, path)  # noqa: E731
    page.set_viewport_size(PHONE)
    sign_in(page, url("/accounts/login/"), confirmed_manager_of_b.email)
    switch_language(page)

    # when: they open two-factor authentication from the account menu and set it up
    page.locator(".user-menu summary").click()
    page.locator(".user-menu a[href$='/accounts/2fa/']").click()
    screenshot(page, "account-mfa-off-ar-360")
    page.locator("a[href$='/accounts/2fa/totp/activate/']").click()
    expect(page.locator("h1")).to_have_text("أكّد هويتك")
    screenshot(page, "account-reauthenticate-ar-360")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button.btn-primary").click()

    # then: the set-up page shows a QR code, and the key behind "can't scan it?"
    expect(page.locator(".qr img")).to_be_visible()
    assert page.locator(".qr img").get_attribute("src").startswith("data:image/svg+xml")
    screenshot(page, "account-totp-setup-ar-360")
    secret = page.input_value("#authenticator_secret")

    # when
    page.fill("#id_code", current_code(secret))
    page.locator("main form button.btn-primary").click()

    # then: the recovery codes are shown once set-up is done
    codes = page.locator(".codes code")
    expect(codes).to_have_count(10)
    screenshot(page, "account-recovery-codes-ar-360")
    recovery_code = codes.first.inner_text()

    # when: they sign in again
    sign_out(page)
    sign_in(page, url("/accounts/login/"), confirmed_manager_of_b.email)

    # then: a code is asked for, and a recovery code opens the app
    expect(page).to_have_url(url("/accounts/2fa/authenticate/"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "account-mfa-sign-in-ar-360")
    page.fill("#id_code", recovery_code)
    page.locator("main form button.btn-primary").click()
    expect(page).to_have_url(url("/"))
    expect(page.locator(".tabbar")).to_be_visible()

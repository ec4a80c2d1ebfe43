"""What a person does in the browser, in a few words: sign in, switch language, read the nav."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# Visible, interactive things a thumb has to hit. Links inside running text are exempt (as in
# WCAG 2.5.8); a checkbox counts through its label, which is what takes the tap.
_SMALL_TAP_TARGETS_JS = """
() => {
  const selector = 'a, button, summary, select, input:not([type=hidden]):not([type=checkbox])'
    + ':not([type=radio]), label.check, label.choice';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('.skip-link') || el.closest('[hidden]')) continue;
    if (el.tagName === 'A' && el.closest('p:not(.auth-alt), .field-help')) continue;
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
    if (rect.height < 44 || rect.width < 44) {
      const name = (el.innerText || el.getAttribute('aria-label') || el.name || '').trim();
      const size = `${Math.round(rect.width)}x${Math.round(rect.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name.slice(0, 30)}" ${size}`);
    }
  }
  return small;
}
"""


def sign_in(page: Page, url: str | None, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the real sign-in form at `url` (the agency's login page), or on the
    page already open when `url` is None."""
    if url is not None:
        page.goto(url)
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.locator(".user-menu summary").click()
    page.locator(".user-menu .menu-panel button[type=submit]").click()
    page.wait_for_load_state()


def switch_language(page: Page) -> None:
    before = page.locator("html").get_attribute("lang")
    page.locator(".language-switch button").click()
    expect(page.locator("html")).not_to_have_attribute("lang", before or "")


def sidenav_labels(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".sidenav .nav-link").all_inner_texts()]


def tabbar_labels(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".tabbar .nav-link:visible").all_inner_texts()]


def small_tap_targets(page: Page) -> list[str]:
    return page.evaluate(_SMALL_TAP_TARGETS_JS)


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def at_each_width(page: Page):
    """Yield the width after resizing the page to desktop, then phone; ends on desktop."""
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        yield viewport["width"]
    page.set_viewport_size(DESKTOP)

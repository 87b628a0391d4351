"""Headless Chromium logs in through the real UI and sees the municipality home."""

import pytest


@pytest.mark.browser
def test_login_in_a_real_browser(live_server, browser, tenants) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{live_server}/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "clerk-182079")
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/m/{tenants.a}/")
    assert "鯖江市" in page.inner_text("h1")
    assert page.get_by_text("住民検索").first.is_visible()


@pytest.mark.browser
def test_plain_html_form_post_carries_its_csrf_token(live_server, browser, tenants) -> None:  # type: ignore[no-untyped-def]
    """A form without htmx sends the token in its body; the guard must read it from there."""
    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "admin-182079")
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/m/{tenants.a}/")
    page.goto(f"{live_server}/m/{tenants.a}/users")
    page.fill("input[name=username]", "browser-clerk")
    page.fill("input[name=password]", "browser-password-1")
    page.click("form[action$='/users'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("tbody tr", has_text="browser-clerk").count() == 1

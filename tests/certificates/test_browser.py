"""Headless Chromium: a clerk issues a 世帯連記式 住民票の写し through the UI and opens the PDF."""

from __future__ import annotations

import io

import pytest
from pdfminer.high_level import extract_text


@pytest.mark.browser
def test_clerk_issues_a_household_certificate_in_a_real_browser(live_server, browser, family, tenants) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", f"clerk-{tenants.a}")
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/m/{tenants.a}/")
    page.goto(f"{live_server}/m/{tenants.a}/certificates")
    page.fill("input[name=setai_no]", family.setai_no)
    page.click("text=世帯員を表示")
    page.wait_for_selector("#certificate-form")
    assert page.locator("input[name=member]").count() == 3
    page.select_option("select[name=type]", "juminhyo_setai")
    page.check("input[name=include_head_relation]")
    page.click("text=プレビュー")
    page.wait_for_selector("#issue-button")
    preview = page.inner_text("#preview-content")
    assert f"福井県鯖江市{family.address}" in preview and "世帯主" in preview
    page.click("#issue-button")
    page.wait_for_selector(".issue-no")
    issue_no = page.inner_text(".issue-no")
    assert issue_no[:8].isdigit() and issue_no.endswith(" 鯖江市 本庁1 プリンタ001 001")
    href = page.get_attribute("a[id^=download-]", "href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = extract_text(io.BytesIO(response.body()))
    assert issue_no in text and "住民票の写し" in text


def _login(browser, live_server: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/m/**")
    return page


@pytest.mark.browser
def test_supervisor_reviews_and_releases_a_refused_certificate(live_server, browser, family, tenants) -> None:  # type: ignore[no-untyped-def]
    supervisor = _login(browser, live_server, f"supervisor-{tenants.a}")
    supervisor.goto(f"{live_server}/m/{tenants.a}/protection")
    supervisor.fill("input[name=name]", "辻　花子")
    supervisor.fill("form[action$='/support-measures'] input[name=atena_no]", family.wife)
    supervisor.click("form[action$='/support-measures'] button[type=submit]")
    supervisor.wait_for_selector("td:text-is('仮支援措置')")
    clerk = _login(browser, live_server, f"clerk-{tenants.a}")
    clerk.goto(f"{live_server}/m/{tenants.a}/certificates?setai_no={family.setai_no}")
    clerk.click("text=プレビュー")
    clerk.wait_for_selector("[role=alert]")
    message = clerk.inner_text("[role=alert]")
    assert "審査依頼番号 1" in message and family.address not in clerk.content()
    supervisor.goto(f"{live_server}/m/{tenants.a}/protection")
    supervisor.fill("input[aria-label=審査の理由]", "本人からの請求を確認")
    supervisor.click("button[value=release]")
    supervisor.wait_for_selector("text=解除済み")
    clerk.goto(f"{live_server}/m/{tenants.a}/certificates?setai_no={family.setai_no}")
    clerk.fill("input[name=release_id]", "1")
    clerk.click("text=プレビュー")
    clerk.wait_for_selector("#issue-button")
    clerk.click("#issue-button")
    clerk.wait_for_selector(".issue-no")
    assert "証明書を発行しました" in clerk.inner_text("h1")

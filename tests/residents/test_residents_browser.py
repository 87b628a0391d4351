"""Headless Chromium at the counter: 転入 → 転居 → 世帯分離 → 転出, then the history view."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def submit(page) -> None:  # type: ignore[no-untyped-def]
    """Submit the 異動 form (htmx) and wait for the person page it leads to."""
    with page.expect_navigation(url="**/residents/*?done=*"):
        page.click("form.ido-form button[type=submit]")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_clerk_enters_four_ido_through_the_ui(live_server: str, browser, tenants) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", tenants.username("clerk"))
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    base = f"{live_server}/m/{tenants.a}/residents"

    # 転入: a parent and a child
    page.goto(f"{base}/ido/move_in")
    page.fill("input[name=ido_date]", "2025-04-01")
    page.fill("input[name=address]", "本町一丁目1番地")
    for i, (name, kana, birth, sex, zokugara) in enumerate(
        [("山田　太郎", "ヤマダ　タロウ", "昭和55年1月2日", "1", "世帯主"),
         ("山田　一郎", "ヤマダ　イチロウ", "平成12年5月6日", "1", "子")]
    ):  # fmt: skip
        page.fill(f"input[name=shimei_{i}]", name)
        page.fill(f"input[name=shimei_kana_{i}]", kana)
        page.fill(f"input[name=birth_date_{i}]", birth)
        page.select_option(f"select[name=sex_{i}]", sex)
        page.fill(f"input[name=zokugara_{i}]", zokugara)
        page.fill(f"input[name=honseki_{i}]", "福井県鯖江市本町1")
    submit(page)
    assert "異動（異動番号" in page.text_content("main")

    # 転居 of the whole 世帯
    page.click("text=転居")
    page.fill("input[name=address]", "港町二丁目3番地")
    submit(page)
    assert page.text_content("[data-item=address]").strip() == "港町二丁目3番地"

    # 世帯分離: the child forms a new 世帯 (as its 世帯主)
    page.click("text=山田　一郎")
    page.click("text=世帯分離")
    submit(page)
    assert "世帯主" in page.text_content("[data-item=zokugara]")

    # 転出 of the child, planned for a future date
    page.click("a:has-text('転出')")
    page.fill("input[name=move_out_to]", "東京都千代田区千代田1番1号")
    submit(page)
    assert "転出" in page.text_content("h1 .status")

    reasons = [t.strip() for t in page.locator(".timeline-item .reason").all_text_contents()]
    assert reasons == ["国内転出", "世帯分離", "転居", "国内転入"]
    assert page.locator(".timeline-item").first.get_attribute("data-rireki") == "4"
    page.close()

"""Headless Chromium: the operator opens the analytics page, sees tables and charts, downloads tables."""

import io

import pytest
from openpyxl import load_workbook


@pytest.mark.browser
def test_operator_downloads_a_table(live_server, browser, tenants, tmp_path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "test-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/operator/")
    page.goto(f"{live_server}/operator/analytics?date=2018-06-15")
    assert "クラウド導入状況と費用" in page.inner_text("h1")
    status = page.locator("#status table")
    assert "404" in status.inner_text() and "1,741" in status.inner_text()
    chart = page.locator("#status img.chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())

    with page.expect_download() as xlsx_info:
        page.locator("#plans .downloads a", has_text="Excel (xlsx)").click()
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename == "plans-2018-06-15.xlsx" or xlsx.suggested_filename.endswith(".xlsx")
    path = tmp_path / "plans.xlsx"
    xlsx.save_as(path)
    rows = list(load_workbook(io.BytesIO(path.read_bytes()))["表"].iter_rows(values_only=True))
    assert rows[0] == ("導入計画", "団体数", "割合(%)") and rows[-1] == ("計", 1337, 100.0)

    with page.expect_download() as csv_info:
        page.locator("#target-years .downloads a", has_text="CSV (Excel用 Shift_JIS)").click()
    csv_path = tmp_path / "target.csv"
    csv_info.value.save_as(csv_path)
    assert csv_path.read_bytes().decode("cp932").splitlines()[-1] == "計,1166"
    context.close()

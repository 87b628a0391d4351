"""The HTML screens through the test client: search, person page, 異動 forms with in-place errors."""

from __future__ import annotations

import re


def move_in_form(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "csrf_token": client.csrf_token, "ido_date": "2025-04-01", "address": "本町一丁目1番地",
        "shimei_0": "山田　太郎", "shimei_kana_0": "ヤマダ　タロウ", "birth_date_0": "昭和55年1月2日", "sex_0": "1",
        "zokugara_0": "世帯主", "honseki_0": "福井県鯖江市本町1",
        "shimei_1": "山田　花子", "shimei_kana_1": "ヤマダ　ハナコ", "birth_date_1": "1982-03-04", "sex_1": "2",
        "zokugara_1": "妻", "honseki_1": "福井県鯖江市本町1",
    }  # fmt: skip


def test_move_in_form_then_person_page_and_search(clerk_client, municipality: str) -> None:  # type: ignore[no-untyped-def]
    base = f"/m/{municipality}/residents"
    assert "転入" in clerk_client.get(f"{base}/ido/move_in").text
    response = clerk_client.post(f"{base}/ido/move_in", data=move_in_form(clerk_client), follow_redirects=False)
    assert response.status_code == 303, response.text
    page = clerk_client.get(response.headers["location"])
    assert "山田　太郎" in page.text and "国内転入" in page.text and "異動履歴" in page.text
    atena = re.search(r"/residents/(\d+)\?", response.headers["location"])[1]  # type: ignore[index]
    found = clerk_client.get(base, params={"kana": "やまだ"})
    assert f"{base}/{atena}" in found.text
    partial = clerk_client.get(base, params={"name": "山田"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and atena in partial.text


def test_rule_violation_is_shown_in_place(clerk_client, municipality: str) -> None:  # type: ignore[no-untyped-def]
    base = f"/m/{municipality}/residents"
    form = move_in_form(clerk_client) | {"ido_date": "2999-01-01"}
    response = clerk_client.post(f"{base}/ido/move_in", data=form)
    assert response.status_code == 422
    assert "未来の日付" in response.text and 'data-error-for="ido_date"' in response.text
    assert 'value="山田　太郎"' in response.text  # the form keeps what was typed


def test_every_form_renders(clerk_client, municipality: str) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.web.ui.residents import FORMS

    base = f"/m/{municipality}/residents"
    response = clerk_client.post(f"{base}/ido/move_in", data=move_in_form(clerk_client), follow_redirects=False)
    atena = re.search(r"/residents/(\d+)\?", response.headers["location"])[1]  # type: ignore[index]
    for kind, (title, needs_person) in FORMS.items():
        url = f"{base}/{atena}/ido/{kind}" if needs_person else f"{base}/ido/{kind}"
        page = clerk_client.get(url)
        assert page.status_code == 200, (kind, page.text[:500])
        assert title in page.text
    assert clerk_client.get(f"{base}/{atena}", params={"at": "2025-04-01"}).status_code == 200


def test_person_menu_lists_only_what_applies(clerk_client, municipality: str) -> None:  # type: ignore[no-untyped-def]
    base = f"/m/{municipality}/residents"
    response = clerk_client.post(f"{base}/ido/move_in", data=move_in_form(clerk_client), follow_redirects=False)
    page = clerk_client.get(response.headers["location"]).text
    assert f"{base}/" in page and "/ido/move_within" in page and "/ido/move_in" not in page
    assert "/ido/move_out_confirm" not in page and "('" not in page


def test_reentry_is_offered_in_the_form(clerk_client, municipality: str, database) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.residents import queries

    base = f"/m/{municipality}/residents"
    form = move_in_form(clerk_client) | {"juminhyo_code_0": "12345678903"}
    moved_in = clerk_client.post(f"{base}/ido/move_in", data=form, follow_redirects=False)
    atena = re.search(r"/residents/(\d+)\?", moved_in.headers["location"])[1]  # type: ignore[index]
    out = {"csrf_token": clerk_client.csrf_token, "move_out_to": "東京都港区1", "ido_date": "2025-05-01"}
    members = clerk_client.get(f"{base}/{atena}/ido/move_out").text
    out |= {m: "1" for m in re.findall(r'name="(member_\d+)"', members)}
    named = re.findall(r'<option value="(\d{6})"', members)  # the other members of the cloud group
    assert named and municipality not in named
    out["move_out_to_lg_code"] = named[0]
    moved = clerk_client.post(f"{base}/{atena}/ido/move_out", data=out, follow_redirects=False)
    assert moved.status_code == 303
    ido = re.search(r"done=(\d+)", moved.headers["location"])[1]  # type: ignore[index]
    with database.session(municipality) as session:
        record = queries.ido_records(session, municipality, [int(ido)])[int(ido)]
    assert record.command["move_out_to_lg_code"] == named[0]  # kept for the 団体間 handoff
    again = clerk_client.post(f"{base}/ido/move_in", data=form | {"ido_date": "2025-06-01"})
    assert again.status_code == 422 and "再転入" in again.text
    assert f'name="reentry_atena_no_0" value="{atena}"' in again.text

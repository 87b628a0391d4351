"""The clerk's certificate desk and the 支援措置責任者's desk over plain HTTP (forms, in-page errors)."""

from __future__ import annotations


def _form(client, **values):  # type: ignore[no-untyped-def]
    return {"csrf_token": client.csrf_token, **values}


def test_desk_preview_issue_and_refusal_for_a_support_target(app, family, tenants, login_as) -> None:  # type: ignore[no-untyped-def]
    clerk, supervisor = login_as("clerk"), login_as("supervisor")
    base = f"/m/{tenants.a}/certificates"
    desk = clerk.get(base, params={"setai_no": family.setai_no})
    assert desk.status_code == 200 and desk.text.count('name="member"') == 3 and family.address not in desk.text
    assert "見つかりません" in clerk.get(base, params={"setai_no": "0"}).text
    fields = _form(
        clerk, setai_no=family.setai_no, type="juminhyo_setai", member=list(family.members), include_head_relation="on"
    )
    preview = clerk.post(base + "/preview", data=fields)
    assert preview.status_code == 200 and family.address in preview.text and "発行する" in preview.text
    issued = clerk.post(base + "/issue", data=fields)
    assert issued.status_code == 200 and "証明書を発行しました" in issued.text and "プリンタ001 001" in issued.text
    # the 支援措置責任者 registers a 申出 through the desk; the clerk's preview is then refused in-page
    protection = f"/m/{tenants.a}/protection"
    registered = supervisor.post(
        protection + "/support-measures",
        data=_form(supervisor, name="辻　花子", atena_no=family.wife, received_on="2025-06-01"),
    )
    assert registered.status_code == 200 and "仮支援措置" in registered.text
    refused = clerk.post(base + "/preview", data=fields)
    assert "審査依頼番号" in refused.text and family.address not in refused.text
    desk_page = supervisor.get(protection)
    assert "審査待ち" in desk_page.text
    reviewed = supervisor.post(
        protection + "/requests/1/review", data=_form(supervisor, decision="release", reason="本人請求")
    )
    assert "解除済み" in reviewed.text
    released = clerk.post(base + "/issue", data={**fields, "release_id": "1"})
    assert "証明書を発行しました" in released.text


def test_protection_desk_suppression_forms(app, database, tenants, login_as) -> None:  # type: ignore[no-untyped-def]
    supervisor = login_as("supervisor")
    base = f"/m/{tenants.a}/protection"
    page = supervisor.post(
        base + "/suppressions",
        data=_form(
            supervisor,
            scope="個人",
            target="000000000000027",
            process="照会",
            level="アラート",
            start_on="2025-01-01",
            end_on="2025-01-31",
            reason="申出",
        ),
    )
    assert "終了日経過" in page.text and "一時解除" in page.text
    temp = supervisor.post(
        base + "/suppressions/1/temporary-release", data=_form(supervisor, reason="確認", minutes="5")
    )
    assert temp.status_code == 200
    bad = supervisor.post(base + "/suppressions/1/release", data=_form(supervisor, reason=""))
    assert "理由を入力してください" in bad.text
    done = supervisor.post(base + "/suppressions/1/release", data=_form(supervisor, reason="終了"))
    assert "解除済み" in done.text
    assert login_as("clerk").get(base).status_code == 403


def test_desk_by_atena_no_for_a_removed_record_and_the_sample_pdf(app, database, family, tenants, login_as) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.residents.commands import MoveOut
    from lgcloud.residents.services import Actor, record_ido

    move_out = MoveOut(atena_nos=[family.son], move_out_to="東京都新宿区西新宿2丁目8番1号", ido_date="2025-06-20")
    with database.session(tenants.a) as session:
        record_ido(session, tenants.a, Actor("clerk-test"), move_out, today=family.today)
    clerk = login_as("clerk")
    base = f"/m/{tenants.a}/certificates"
    desk = clerk.get(base, params={"atena_no": family.son})
    assert desk.text.count('name="member"') == 1 and "転出" in desk.text
    fields = _form(clerk, type="johyo", member=family.son)
    preview = clerk.post(base + "/preview", data=fields)
    assert "住民票の除票の写し" in preview.text and "見本PDFを開く" in preview.text
    sample = clerk.get(base + "/preview.pdf", params={"type": "johyo", "member": family.son})
    assert sample.status_code == 200 and sample.headers["content-type"] == "application/pdf"

"""Issuing certificates from the registry on SQLite and PostgreSQL: PDF text, fonts, 発行番号, 交付履歴, 処分,
再交付, verification, omission options, 除票 and 転出証明書, unmapped 外字."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pytest
from pdfminer.high_level import extract_text
from pypdf import PdfReader
from sqlalchemy import func, select

from lgcloud.certificates import services
from lgcloud.certificates.glyphs import UnmappedGaiji
from lgcloud.certificates.model import CertificateOptions, CertType
from lgcloud.certificates.models import issues
from lgcloud.errors import PermissionDenied
from lgcloud.residents.commands import MoveOut
from lgcloud.residents.services import Actor, record_ido
from lgcloud.tenancy.models import AuditEntry

CLERK = services.Staff("clerk-182079")
SUPERVISOR = services.Staff("supervisor-182079", can_read_mynumber=True)


def _issue(database, family, request: services.IssueRequest, staff=CLERK) -> services.IssuedCertificate:  # type: ignore[no-untyped-def]
    with database.session(family.lg_code) as session:
        outcome = services.issue(session, family.lg_code, request, staff, secret=family.secret, today=family.today)
    outcome.disclosure.raise_if_refused()
    return outcome.issued[0]


def _pdf(database, family, issue_id: int, staff=CLERK) -> bytes:  # type: ignore[no-untyped-def]
    with database.session(family.lg_code) as session:
        return services.download(session, family.lg_code, issue_id, staff).pdf


def _pages(pdf: bytes) -> list[str]:
    return [extract_text(io.BytesIO(pdf), page_numbers=[i]) for i in range(len(PdfReader(io.BytesIO(pdf)).pages))]


def test_household_certificate(database, family) -> None:  # type: ignore[no-untyped-def]
    options = CertificateOptions(with_history=True, include_head_relation=True)
    request = services.IssueRequest(CertType.JUMINHYO_SETAI, setai_no=family.setai_no, options=options)
    issued = _issue(database, family, request)
    pdf = _pdf(database, family, issued.issue_id)
    pages = _pages(pdf)
    text = "".join(pages)
    assert issued.pages == len(pages) >= 1
    assert issued.issue_no == "20250630 鯖江市 本庁1 プリンタ001 001"
    for number, page in enumerate(pages, start=1):
        assert f"20250630 鯖江市 本庁1 プリンタ001 001 {number}/{len(pages)}" in page
    assert "住民票の写し" in text and "世帯連記式" in text
    assert f"福井県鯖江市{family.address}" in text and "鯖江ハイツ101" in text
    # 世帯員の並び順: 世帯主, 妻, 子 (entered as 子, 妻, 世帯主); IVS kept in the text layer
    order = [text.index(family.head_name), text.index(family.wife_name), text.index(family.son_name)]
    assert order == sorted(order)
    assert "令和7年4月1日" in text and "国内転入" in text  # 和暦 dates and the history
    # omitted unless requested: 本籍・筆頭者, 住民票コード, 個人番号
    for absent in ("本籍", "筆頭者", "福井県鯖江市本町1", "住民票コード", "12345678903", "個人番号", "123456789018"):
        assert absent not in text, absent
    # 認証文 and 発行者 on the last page only
    attestation = "住民票の原本と相違ないことを証明する"
    assert attestation in pages[-1] and all(attestation not in p for p in pages[:-1])
    assert "福井県鯖江市長" in pages[-1] and issued.verification in pages[-1].replace("\n", "")
    assert issued.items[:3] == ["住所", "方書", "世帯主"] and "異動履歴" in issued.items


def test_only_the_ipamj_subset_is_embedded(database, family) -> None:  # type: ignore[no-untyped-def]
    request = services.IssueRequest(CertType.JUMINHYO, atena_nos=(family.wife,))
    pdf = _pdf(database, family, _issue(database, family, request).issue_id)
    assert len(pdf) < 400_000  # a subset, not the 46 MB font
    assert shutil.which("pdffonts"), "poppler-utils (pdffonts) is missing: `make test` installs it"
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    fonts = listing.splitlines()[2:]
    assert len(fonts) == 1, listing
    name, *_rest = fonts[0].split()
    assert name.endswith("+IPAmjMincho") and len(name.split("+")[0]) == 6
    assert " yes yes yes " in fonts[0]  # embedded, subset, ToUnicode


def test_history_reissue_disposal_and_verification(database, family) -> None:  # type: ignore[no-untyped-def]
    request = services.IssueRequest(CertType.JUMINHYO, atena_nos=(family.head,), copies=2)
    with database.session(family.lg_code) as session:
        outcome = services.issue(session, family.lg_code, request, CLERK, secret=family.secret, today=family.today)
    first, second = outcome.issued
    assert [first.issue_no[-3:], second.issue_no[-3:]] == ["001", "002"]  # each copy its own number
    with database.session(family.lg_code) as session:
        stored = services.download(session, family.lg_code, first.issue_id, CLERK).pdf
        assert services.rerender(session, family.lg_code, first.issue_id) == stored  # reproducible
        check = services.verify(session, family.lg_code, first.verification, CLERK, secret=family.secret)
        assert check.valid and check.names == (family.head_name,)
        forged = first.verification[:-4] + ("AAAA" if not first.verification.endswith("AAAA") else "BBBB")
        assert not services.verify(session, family.lg_code, forged, CLERK, secret=family.secret).valid
        assert not services.verify(
            session, family.lg_code, first.verification, CLERK, secret="another-secret-key"
        ).valid
        assert not services.verify(session, family.lg_code, "nonsense", CLERK, secret=family.secret).valid
        services.dispose(session, family.lg_code, second.issue_id, CLERK, "印刷不良")
        disposed = services.verify(session, family.lg_code, second.verification, CLERK, secret=family.secret)
        assert not disposed.valid and "処分済み" in disposed.message
        again = services.reissue(
            session, family.lg_code, first.issue_id, CLERK, secret=family.secret, today=family.today
        )
    copy = again.issued[0]
    assert copy.reissue_of == first.issue_id and copy.issue_no.endswith("003")
    text = extract_text(io.BytesIO(_pdf(database, family, copy.issue_id)))
    assert "再交付" in text and family.head_name in text
    with database.session(family.lg_code) as session:
        history = services.list_issues(session, family.lg_code, atena_no=family.head)
        assert [h.issue_id for h in history] == [copy.issue_id, second.issue_id, first.issue_id]
        assert history[1].disposed and history[1].disposed["reason"] == "印刷不良"
        assert {"issued_by", "place", "terminal", "items", "pages", "issue_no"} <= set(history[0].summary())
        actions = set(session.execute(select(AuditEntry.action).where(AuditEntry.lg_code == family.lg_code)).scalars())
    assert {"certificate:issue", "certificate:download", "certificate:dispose", "certificate:verify"} <= actions


def test_requested_items_and_mynumber_permission(database, family) -> None:  # type: ignore[no-untyped-def]
    options = CertificateOptions(
        include_honseki=True,
        include_juminhyo_code=True,
        include_mynumber=True,
        include_head_relation=True,
        include_kana=True,
    )
    request = services.IssueRequest(CertType.JUMINHYO, atena_nos=(family.head,), options=options)
    with database.session(family.lg_code) as session, pytest.raises(PermissionDenied):
        services.issue(session, family.lg_code, request, CLERK, secret=family.secret, today=family.today)
    issued = _issue(database, family, request, staff=SUPERVISOR)
    with pytest.raises(PermissionDenied):  # a copy with 個人番号: not for a clerk without the permission
        _pdf(database, family, issued.issue_id)
    with database.session(family.lg_code) as session, pytest.raises(PermissionDenied):
        services.reissue(session, family.lg_code, issued.issue_id, CLERK, secret=family.secret, today=family.today)
    text = extract_text(io.BytesIO(_pdf(database, family, issued.issue_id, SUPERVISOR)))
    for present in (
        "本籍",
        "福井県鯖江市本町1",
        "筆頭者",
        "個人番号",
        "123456789018",
        "続柄",
        "世帯主",
        "（カサイ　タロウ）",
    ):
        assert present in text, present
    with database.session(family.lg_code) as session:
        row = session.execute(select(issues.c.mynumber_printed).where(issues.c.issue_id == issued.issue_id)).scalar()
    assert row == 1


def test_removed_record_and_move_out_certificate(database, family) -> None:  # type: ignore[no-untyped-def]
    move_out = MoveOut(
        atena_nos=[family.son],
        move_out_to="東京都新宿区西新宿2丁目8番1号",
        ido_date="2025-06-20",
        todokede_date=date(2025, 6, 20),
    )
    with database.session(family.lg_code) as session:
        record_ido(session, family.lg_code, Actor("clerk-test"), move_out, today=family.today)
    johyo = _issue(database, family, services.IssueRequest(CertType.JOHYO, atena_nos=(family.son,)))
    text = extract_text(io.BytesIO(_pdf(database, family, johyo.issue_id)))
    assert "住民票の除票の写し" in text and "国内転出" in text and "東京都新宿区西新宿2丁目8番1号" in text
    tenshutsu = _issue(database, family, services.IssueRequest(CertType.TENSHUTSU, atena_nos=(family.son,)))
    assert {"転出予定年月日", "転出先住所", "住民票コード"} <= set(tenshutsu.items)
    with database.session(family.lg_code) as session, pytest.raises(Exception) as wrong:
        services.issue(
            session,
            family.lg_code,
            services.IssueRequest(CertType.JOHYO, atena_nos=(family.head,)),
            CLERK,
            secret=family.secret,
            today=family.today,
        )
    assert getattr(wrong.value, "code", "") == "certificate-not-removed"


def test_unmapped_gaiji_blocks_issuance_and_writes_nothing(database, family, single_resident) -> None:  # type: ignore[no-untyped-def]
    atena_no = single_resident("外\ue000字　太郎")  # a vendor 外字 in the private use area, never mapped
    request = services.IssueRequest(CertType.JUMINHYO, atena_nos=(atena_no,))
    with database.session(family.lg_code) as session, pytest.raises(UnmappedGaiji) as raised:
        services.issue(session, family.lg_code, request, CLERK, secret=family.secret, today=family.today)
    assert "U+E000" in raised.value.message and "未登録外字" in raised.value.message
    with database.session(family.lg_code) as session:
        assert session.execute(select(func.count()).select_from(issues)).scalar() == 0


def test_cli_verifies_a_paper_copy(database, family, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from lgcloud.certificates import cli

    issued = _issue(database, family, services.IssueRequest(CertType.JUMINHYO, atena_nos=(family.son,)))
    monkeypatch.setattr(cli, "_database", lambda: database)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    runner = CliRunner()
    ok = runner.invoke(cli.app, ["verify", issued.verification, "--tenant", family.lg_code])
    assert ok.exit_code == 0 and "本市区町村が発行した証明書です" in ok.output
    other = "A" if issued.verification[-1] != "A" else "B"
    bad = runner.invoke(cli.app, ["verify", issued.verification[:-1] + other, "--tenant", family.lg_code])
    assert bad.exit_code == 1
    listing = runner.invoke(cli.app, ["history", "--tenant", family.lg_code])
    assert listing.exit_code == 0 and issued.issue_no[-3:] in listing.output

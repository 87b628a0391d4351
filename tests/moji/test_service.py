"""外字 mapping per municipality in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lgcloud.db import Database
from lgcloud.errors import Conflict, LgcloudError
from lgcloud.moji import apply_mapping, service
from lgcloud.moji.models import GaijiMapping

A, B = "182079", "182095"
SYSTEM = "旧住記(A社)"


def _propose(session, code: str, mj: str, kind: str = "pua", lg_code: str = A):  # type: ignore[no-untyped-def]
    return service.propose_mapping(
        session, lg_code, source_system=SYSTEM, source_kind=kind, source_code=code, mj_code=mj,
        actor="admin-182079", reason="字形を目視確認",
    )  # fmt: skip


def _confirm(session, code: str, kind: str = "pua", lg_code: str = A):  # type: ignore[no-untyped-def]
    return service.confirm_mapping(
        session, lg_code, source_system=SYSTEM, source_kind=kind, source_code=code, actor="admin-182079"
    )


def test_propose_confirm_is_versioned_and_audited(database: Database) -> None:
    with database.session(A) as session:
        first = _propose(session, "U+E000", "MJ028902")
        assert (first.version, first.status) == (1, "proposed")
        assert service.load_mapping(session, A, SYSTEM) == {}  # proposals do not apply
        confirmed = _confirm(session, "U+E000")
        assert (confirmed.version, confirmed.status, confirmed.mj_code) == (2, "confirmed", "MJ028902")
    with database.session(A) as session:
        history = service.mapping_history(session, A, source_system=SYSTEM, source_kind="pua", source_code="e000")
        assert [(h.version, h.status, h.actor) for h in history] == [
            (1, "proposed", "admin-182079"),
            (2, "confirmed", "admin-182079"),
        ]
        assert service.load_mapping(session, A, SYSTEM) == {"\ue000": "髙"}
        from lgcloud.tenancy.models import AuditEntry

        query = select(AuditEntry.action).where(AuditEntry.lg_code == A).order_by(AuditEntry.seq)
        actions = list(session.scalars(query))
        assert actions == ["moji.mapping.propose", "moji.mapping.confirm"]


def test_correction_keeps_the_confirmed_mapping_until_reviewed(database: Database) -> None:
    with database.session(A) as session:
        _propose(session, "F040", "MJ028902", kind="cp932")
        _confirm(session, "F040", kind="cp932")
        _propose(session, "F040", "MJ028901", kind="cp932")  # a correction, pending
        assert service.load_mapping(session, A, SYSTEM) == {"\ue000": "髙"}
        _confirm(session, "F040", kind="cp932")
        assert service.load_mapping(session, A, SYSTEM) == {"\ue000": "高"}
        with pytest.raises(Conflict):  # only a proposal can be confirmed
            _confirm(session, "F040", kind="cp932")
        assert len(session.scalars(select(GaijiMapping)).all()) == 4  # nothing overwritten


def test_mapping_is_per_municipality(database: Database) -> None:
    with database.session(A) as session:
        _propose(session, "U+E000", "MJ028902")
        _confirm(session, "U+E000")
    with database.session(B) as session:
        assert service.load_mapping(session, B, SYSTEM) == {}
        assert service.current_mappings(session, B) == []


def test_load_mapping_feeds_apply_mapping(database: Database) -> None:
    with database.session(A) as session:
        for code, mj in (("U+E000", "MJ028902"), ("U+E001", "MJ000037")):
            _propose(session, code, mj)
            _confirm(session, code)
        mapping = service.load_mapping(session, A, SYSTEM)
    assert apply_mapping("\ue000橋\ue001", mapping) == "髙橋㐶\U000e0101"


def test_unknown_mj_and_bad_codes_are_refused(database: Database) -> None:
    with database.session(A) as session, pytest.raises(LgcloudError):
        _propose(session, "U+E000", "MJ999999")
    with database.session(A) as session, pytest.raises(LgcloudError):
        _propose(session, "U+4E00", "MJ028902")


CSV = (
    "source_system,source_kind,source_code,mj_code,status,reason\r\n"
    f"{SYSTEM},pua,U+E000,MJ028902,confirmed,はしごだか\r\n"
    f"{SYSTEM},cp932,F041,MJ030196,proposed,\r\n"
    f"{SYSTEM},jplus,J+AD1D,MJ000001,confirmed,々\r\n"
)


def test_csv_and_xlsx_round_trip(database: Database) -> None:
    with database.session(A) as session:
        report = service.import_csv(session, A, CSV.encode("utf-8-sig"), actor="admin-182079")
        assert (report.added, report.unchanged) == (3, 0)
        again = service.import_csv(session, A, CSV, actor="admin-182079")
        assert (again.added, again.unchanged) == (0, 3)  # idempotent
        exported_csv = service.export_csv(session, A)
        exported_xlsx = service.export_xlsx(session, A)
    with database.session(B) as session:
        service.import_csv(session, B, exported_csv, actor="admin-182095")
        b_rows = service.export_rows(session, B)
    with database.session(A) as session:
        a_rows = service.export_rows(session, A)
        assert service.load_mapping(session, A, SYSTEM) == {"\ue000": "髙", "\uad1d": "々"}
    assert _state(a_rows) == _state(b_rows)
    assert {r["glyph"] for r in a_rows} == {"髙", "﨑", "々"}
    with database.session(B) as session:
        report = service.import_xlsx(session, B, exported_xlsx, actor="admin-182095")
        assert (report.added, report.unchanged) == (0, 3)


def _state(rows: list[dict]) -> set[tuple]:  # type: ignore[type-arg]
    return {
        (r["source_system"], r["source_kind"], r["source_code"], r["mj_code"], r["status"], r["reason"]) for r in rows
    }


def test_invalid_import_changes_nothing_and_lists_every_error(database: Database) -> None:
    bad = (
        CSV + f"{SYSTEM},pua,U+4E00,MJ028902,,\r\n{SYSTEM},pua,U+E009,MJ999999,,\r\n{SYSTEM},pua,U+E000,MJ028902,,\r\n"
    )
    with database.session(A) as session, pytest.raises(LgcloudError) as err:
        service.import_csv(session, A, bad, actor="admin-182079")
    assert [e["line"] for e in err.value.detail["errors"]] == [5, 6, 7]
    with database.session(A) as session:
        assert service.current_mappings(session, A) == []


def test_japanese_headers_are_accepted(database: Database) -> None:
    text = "移行元システム,種別,外字コード,MJ文字図形名,状態,理由\n" + f"{SYSTEM},pua,E010,MJ028902,,\n"
    with database.session(A) as session:
        assert service.import_csv(session, A, text, actor="admin-182079").added == 1
        assert service.current_mappings(session, A, status="proposed")[0].source_code == "U+E010"


def test_csv_saved_by_excel_in_shift_jis(database: Database) -> None:
    text = (
        "移行元システム,種別,外字コード,MJ文字図形名,状態,理由\r\n旧住記,cp932,F040,MJ028902,confirmed,はしごだか\r\n"
    )
    with database.session(A) as session:
        assert service.import_csv(session, A, text.encode("cp932"), actor="admin").added == 1
        assert service.load_mapping(session, A, "旧住記") == {"\ue000": "髙"}
        with pytest.raises(LgcloudError):
            service.import_csv(session, A, b"source_system\n\x81", actor="admin")

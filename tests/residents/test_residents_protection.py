"""抑止 / 支援措置 (§2.10) in the registry: hidden addresses for 照会, blocked 異動入力."""

from __future__ import annotations

from datetime import date

import pytest
from residents_desk import Desk

from lgcloud.protection.domain import Level, Process, Scope
from lgcloud.protection.services import Actor, set_suppression
from lgcloud.residents import queries
from lgcloud.residents.commands import AddressInput, MoveWithin
from lgcloud.residents.protect import HIDDEN, IdoSuppressed
from lgcloud.residents.queries import SearchQuery


def suppress(desk: Desk, target: str, process: Process, scope: Scope = Scope.PERSON) -> None:
    with desk.db.session(desk.lg_code) as s:
        set_suppression(
            s,
            desk.lg_code,
            Actor("supervisor"),
            scope=scope,
            target=target,
            process=process,
            level=Level.ERROR,
            start_on=date(2025, 1, 1),
            reason="DV",
        )


def test_inquiry_suppression_hides_the_address(desk: Desk) -> None:
    rows = desk.family().rows
    wife = rows[1].atena_no
    suppress(desk, wife, Process.INQUIRY)
    with desk.db.session(desk.lg_code) as s:
        found = queries.search(s, desk.lg_code, "clerk", SearchQuery(kana="ヤマダ"))
        by_no = {r.atena_no: r.person for r in found.rows}
        assert by_no[wife].address == HIDDEN and by_no[wife].postal_code is None
        assert by_no[rows[0].atena_no].address == "本町一丁目1番地"
        assert "抑止" in found.labels[wife]
        by_address = queries.search(s, desk.lg_code, "clerk", SearchQuery(address="本町"))
        assert wife not in {r.atena_no for r in by_address.rows}
        view = queries.view_person(s, desk.lg_code, "clerk", wife)
        assert view.concealed and all(r.person.address == HIDDEN for r in view.history)
        assert "本町一丁目1番地" not in {r.person.address for r in view.household if r.atena_no == wife}


def test_ido_suppression_blocks_the_ido(desk: Desk) -> None:
    rows = desk.family().rows
    suppress(desk, rows[0].person.setai_no, Process.IDO, Scope.HOUSEHOLD)
    with pytest.raises(IdoSuppressed):
        desk.do(MoveWithin(atena_nos=[r.atena_no for r in rows], address=AddressInput(address="新町1")))

"""Search (§2.12): fuzzy kana, 異体字 names, 和暦/西暦 births, addresses with history, 除票, 個人番号."""

from __future__ import annotations

import pytest
from residents_desk import Desk
from sqlalchemy import func, select

from lgcloud.errors import LgcloudError, PermissionDenied
from lgcloud.residents import queries
from lgcloud.residents.commands import AddressInput, MoveIn, MoveOut, MoveWithin, PersonInput
from lgcloud.residents.model import HEAD
from lgcloud.residents.queries import SearchQuery
from lgcloud.tenancy.models import AuditEntry


@pytest.fixture
def town(desk: Desk) -> dict[str, str]:
    family = desk.family().rows
    person = PersonInput(
        shimei="渡邊　次郎",
        shimei_kana="ワタナベ　ジロウ",
        birth_date="1990-07-07",
        sex="1",
        zokugara=HEAD,
        honseki="不明",
        tsusho=None,
    )
    single = desk.do(MoveIn(ido_date="2025-05-01", persons=[person], address=AddressInput(address="新町2番地")))
    return {
        "head": family[0].atena_no,
        "wife": family[1].atena_no,
        "child": family[2].atena_no,
        "setai": family[0].person.setai_no,
        "watanabe": single.rows[0].atena_no,
    }


def hits(desk: Desk, **query: object) -> list[str]:
    with desk.db.session(desk.lg_code) as s:
        return [r.atena_no for r in queries.find(s, desk.lg_code, SearchQuery(**query)).rows]  # type: ignore[arg-type]


def test_fuzzy_kana(desk: Desk, town: dict[str, str]) -> None:
    family = [town["head"], town["wife"], town["child"]]
    assert hits(desk, kana="やまだ") == family
    assert hits(desk, kana="ﾔﾏﾀ") == family
    assert hits(desk, kana="ヤマダ　タロー") == [town["head"]]
    assert hits(desk, kana="タロウ") == [town["head"]]  # 名 only
    assert hits(desk, kana="シロ") == [town["watanabe"]]  # ジロウ, 濁点 and オウ folded


def test_variant_characters_in_names(desk: Desk, town: dict[str, str]) -> None:
    assert hits(desk, name="渡辺") == [town["watanabe"]]
    assert hits(desk, name="渡邉　次郎") == [town["watanabe"]]
    assert hits(desk, name="次郎") == [town["watanabe"]]
    assert hits(desk, name="山田太郎") == [town["head"]]


def test_birth_date_in_wareki_or_western(desk: Desk, town: dict[str, str]) -> None:
    assert hits(desk, birth_date="昭和55年1月2日") == [town["head"]]
    assert hits(desk, birth_date="1980-01-02") == [town["head"]]
    assert hits(desk, birth_date="平成2年7月7日", sex="1") == [town["watanabe"]]
    assert hits(desk, birth_date="平成2年7月7日", sex="2") == []


def test_address_numbers_and_history(desk: Desk, town: dict[str, str]) -> None:
    family = [town["head"], town["wife"], town["child"]]
    assert hits(desk, address="本町一丁目") == family
    assert hits(desk, setai_no=town["setai"]) == family
    assert hits(desk, atena_no=town["wife"]) == [town["wife"]]
    assert hits(desk, juminhyo_code="12345678903") == [town["head"]]
    desk.do(MoveWithin(atena_nos=family, address=AddressInput(address="港町3番地")))
    assert hits(desk, address="本町一丁目") == family  # past address
    assert hits(desk, address="本町一丁目", include_history=False) == []
    assert hits(desk, address="港町", include_history=False) == family


def test_removed_residents_stay_searchable(desk: Desk, town: dict[str, str]) -> None:
    desk.do(MoveOut(atena_nos=[town["watanabe"]], move_out_to="東京都港区1"))
    assert hits(desk, name="渡辺") == [town["watanabe"]]
    assert hits(desk, name="渡辺", include_removed=False) == []


def test_pagination(desk: Desk, town: dict[str, str]) -> None:
    with desk.db.session(desk.lg_code) as s:
        first = queries.find(s, desk.lg_code, SearchQuery(kana="ヤマダ", per_page=2))
        second = queries.find(s, desk.lg_code, SearchQuery(kana="ヤマダ", per_page=2, page=2))
    assert (len(first.rows), first.has_next, len(second.rows), second.has_next) == (2, True, 1, False)


def test_empty_query_is_an_error(desk: Desk, town: dict[str, str]) -> None:
    with pytest.raises(LgcloudError):
        hits(desk)


def test_mynumber_needs_its_permission_and_is_masked(desk: Desk, town: dict[str, str]) -> None:
    with desk.db.session(desk.lg_code) as s:
        with pytest.raises(PermissionDenied):
            queries.search(s, desk.lg_code, "clerk", SearchQuery(mynumber="123456789018"))
        found = queries.search(
            s, desk.lg_code, "supervisor", SearchQuery(mynumber="123456789018"), can_read_mynumber=True
        )
        assert found.rows[0].person.mynumber == "123456789018"
        masked = queries.search(s, desk.lg_code, "clerk", SearchQuery(kana="ヤマダ タロウ"))
        assert masked.rows[0].person.mynumber == queries.MASK
        view = queries.view_person(s, desk.lg_code, "clerk", town["head"])
        assert view.current.person.mynumber == queries.MASK
        assert all(r.person.mynumber in (None, queries.MASK) for r in view.history)


def test_search_and_view_are_audited(desk: Desk, town: dict[str, str]) -> None:
    with desk.db.session(desk.lg_code) as s:
        before = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        queries.search(s, desk.lg_code, "clerk", SearchQuery(kana="ヤマダ"))
        queries.view_person(s, desk.lg_code, "clerk", town["head"])
    with desk.db.session(desk.lg_code) as s:
        actions = s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    assert len(actions) == before + 2
    assert actions[-2:] == ["resident:record:search", "resident:record:read"]


def test_too_many_hits_are_capped_with_a_notice(desk: Desk, town: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(queries, "MAX_HITS", 2)
    with desk.db.session(desk.lg_code) as s:
        page = queries.find(s, desk.lg_code, SearchQuery(kana="ヤマダ"))
    assert (page.truncated, page.total, len(page.rows)) == (True, 2, 2)


def test_names_are_stored_as_entered_and_found_by_their_plain_form(desk: Desk) -> None:
    ivs_name = "\u845b\U000e0100城　\ufa19子"  # 葛 + IVS, compatibility ideograph 神 (U+FA19): never normalised
    person = PersonInput(
        shimei=ivs_name, shimei_kana="カツラギ　カミコ", birth_date="1970-01-01", sex="2", zokugara=HEAD, honseki="不明"
    )
    atena = desk.do(MoveIn(persons=[person], address=AddressInput(address="本町9"))).rows[0].atena_no
    assert desk.person(atena).person.shimei == ivs_name
    assert hits(desk, name="葛城　神子") == [atena]


def test_other_basic_keys(desk: Desk, town: dict[str, str]) -> None:
    desk.do(MoveOut(atena_nos=[town["watanabe"]], move_out_to="東京都港区1"))
    assert hits(desk, zokugara="妻") == [town["wife"]]
    assert hits(desk, removal_reason="国内転出") == [town["watanabe"]]
    assert hits(desk, kana="ヤマダ", zokugara="子") == [town["child"]]

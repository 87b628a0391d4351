"""Certificate composition (pure): items, order, omission options, 転出 entries, 記載事項証明書."""

from dataclasses import replace
from datetime import date

import pytest

from lgcloud.certificates.compose import CertificateError, compose, order_members
from lgcloud.certificates.model import CertificateOptions, CertificateSubject, CertType, Document

ON = date(2025, 6, 30)
BASE = {
    "setai_no": "S1",
    "address": "本町一丁目1番地",
    "katagaki": "鯖江ハイツ101",
    "head_name": "山田　太郎",
    "honseki": "福井県鯖江市本町1",
    "hittosha": "山田　太郎",
    "juminhyo_code": "12345678903",
    "mynumber": "123456789018",
    "prev_address": "東京都千代田区千代田1番1号",
}
HEAD = CertificateSubject(
    "A1",
    shimei="山田　太郎",
    shimei_kana="ヤマダ　タロウ",
    zokugara="世帯主",
    birth="昭和55年1月2日",
    sex="男",
    birth_iso="1980-01-02",
    **BASE,
)
WIFE = CertificateSubject("A2", shimei="山田　花子", zokugara="妻", birth_iso="1982-03-04", **BASE)
OLD_CHILD = CertificateSubject("A5", shimei="山田　一郎", zokugara="子", birth_iso="2008-05-06", **BASE)
YOUNG_CHILD = CertificateSubject("A3", shimei="山田　二郎", zokugara="子", birth_iso="2012-01-01", **BASE)
MOTHER = CertificateSubject("A4", shimei="山田　梅", zokugara="母", birth_iso="1950-01-01", **BASE)
LODGER = CertificateSubject("A0", shimei="下宿　人", zokugara="同居人", birth_iso="1990-01-01", **BASE)


def _compose(cert_type: CertType, subjects, **options) -> Document:  # type: ignore[no-untyped-def]
    return compose(
        cert_type, subjects, CertificateOptions(**options), issued_on=ON, municipality="鯖江市", prefecture="福井県"
    )


def _keys(doc: Document) -> list[str]:
    return [f.key for f in doc.blocks[0].fields]


def test_household_order_of_the_standard() -> None:
    shuffled = [LODGER, YOUNG_CHILD, MOTHER, OLD_CHILD, WIFE, HEAD]
    assert [s.atena_no for s in order_members(shuffled)] == ["A1", "A2", "A5", "A3", "A4", "A0"]
    doc = _compose(CertType.JUMINHYO_SETAI, shuffled)
    assert doc.subjects == ("A1", "A2", "A5", "A3", "A4", "A0")


def test_defaults_omit_what_may_be_omitted() -> None:
    doc = _compose(CertType.JUMINHYO, [HEAD])
    keys = _keys(doc)
    for omitted in ("head_name", "zokugara", "honseki", "hittosha", "juminhyo_code", "mynumber"):
        assert omitted not in keys
    assert {"shimei", "birth", "sex", "address", "katagaki", "prev_address"} <= set(keys)
    assert doc.blocks[0].fields[0].value == "山田　太郎"  # no フリガナ unless requested
    assert doc.title == "住民票の写し" and doc.subtitle == "個人票"
    assert doc.issued_on_text == "令和7年6月30日" and doc.issuer == "福井県鯖江市長"


def test_requested_items_are_printed() -> None:
    doc = _compose(
        CertType.JUMINHYO,
        [HEAD],
        include_head_relation=True,
        include_honseki=True,
        include_juminhyo_code=True,
        include_mynumber=True,
        include_kana=True,
        omit_katagaki=True,
    )
    keys = _keys(doc)
    assert {"head_name", "zokugara", "honseki", "hittosha", "juminhyo_code", "mynumber"} <= set(keys)
    assert "katagaki" not in keys
    assert doc.blocks[0].fields[0].value == "山田　太郎　（ヤマダ　タロウ）"
    assert "個人番号" in doc.items and "本籍" in doc.items


def test_address_gets_prefecture_and_municipality() -> None:
    doc = _compose(CertType.JUMINHYO_SETAI, [HEAD, WIFE])
    assert doc.header[0].value == "福井県鯖江市本町一丁目1番地"
    assert "address" not in _keys(doc)  # 世帯連記式: 住所 once, in the header
    assert [f.label for f in doc.header] == ["住所", "方書"]
    with_head = _compose(CertType.JUMINHYO_SETAI, [HEAD, WIFE], include_head_relation=True)
    assert [f.label for f in with_head.header] == ["住所", "方書", "世帯主"]
    assert "zokugara" in _keys(with_head)


def test_foreign_items_only_on_request() -> None:
    foreign = replace(
        HEAD,
        foreign=True,
        alpha_name="SMITH JOHN",
        nationality="アメリカ合衆国",
        residence_status="永住者",
        residence_card_no="AB12345678CD",
        stay_expires_on="2030年1月1日",
        became_foreign_resident_on="2020年1月1日",
    )
    assert "nationality" not in _keys(_compose(CertType.JUMINHYO, [foreign]))
    keys = _keys(_compose(CertType.JUMINHYO, [foreign], include_foreign_items=True, include_honseki=True))
    assert {"alpha_name", "nationality", "residence_status", "residence_card_no", "stay_expires_on"} <= set(keys)
    assert "honseki" not in keys  # 外国人住民 have no 本籍
    assert "became_foreign_resident_on" in keys and "became_resident_on" not in keys


def test_move_out_entries_wait_for_the_planned_date() -> None:
    leaving = replace(
        HEAD,
        status="転出",
        move_out_planned_on=date(2025, 7, 15),
        move_out_planned_text="令和7年7月15日",
        move_out_to="東京都新宿区西新宿2丁目8番1号",
        removal_reason="国内転出",
        removed_on="令和7年7月15日",
    )
    before = _compose(CertType.JUMINHYO, [leaving])  # still a 住民 until 7/15
    assert not {"move_out_to", "move_out_planned_on", "removal_reason"} & set(_keys(before))
    with pytest.raises(CertificateError):
        _compose(CertType.JOHYO, [leaving])
    tenshutsu = _compose(CertType.TENSHUTSU, [leaving])
    assert {"move_out_planned_on", "move_out_to", "juminhyo_code", "zokugara", "honseki"} <= set(_keys(tenshutsu))
    after = compose(
        CertType.JOHYO,
        [leaving],
        CertificateOptions(),
        issued_on=date(2025, 7, 15),
        municipality="鯖江市",
        prefecture="福井県",
    )
    assert {"removal_reason", "removed_on", "move_out_to"} <= set(_keys(after))
    assert after.title == "住民票の除票の写し"
    with pytest.raises(CertificateError):
        compose(
            CertType.JUMINHYO,
            [leaving],
            CertificateOptions(),
            issued_on=date(2025, 7, 16),
            municipality="鯖江市",
            prefecture="福井県",
        )


def test_certificate_of_entries_prints_only_the_chosen_items() -> None:
    doc = _compose(CertType.KISAI_JIKO, [HEAD], items=("address", "address_set_on"))
    assert _keys(doc) == ["shimei", "address"]  # 住所を定めた年月日 is blank for this subject: not printed
    assert doc.title == "住民票記載事項証明書"
    with pytest.raises(CertificateError):
        _compose(CertType.KISAI_JIKO, [HEAD])
    with pytest.raises(CertificateError):
        _compose(CertType.KISAI_JIKO, [HEAD], items=("password",))


def test_household_certificate_needs_one_household_and_a_subject() -> None:
    with pytest.raises(CertificateError):
        _compose(CertType.JUMINHYO_SETAI, [HEAD, replace(WIFE, setai_no="S2")])
    with pytest.raises(CertificateError):
        _compose(CertType.JUMINHYO_SETAI, [])


def test_document_round_trips_through_json() -> None:
    doc = _compose(CertType.JUMINHYO_SETAI, [HEAD, WIFE], with_history=True, include_head_relation=True)
    assert Document.from_json(doc.to_json()) == doc

import io
from datetime import date

import pytest
from openpyxl import Workbook

from lgcloud.analytics.importer import (
    ImportRejected,
    parse_cost_file,
    parse_population_file,
    parse_status_file,
)
from lgcloud.analytics.vocab import Plan, Status

HEADER = "団体コード,団体名,導入状況,導入計画,目標年度,グループ名,基準日\n"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(lines) + "\n").encode(encoding)


def rejected(content: bytes, name: str = "status.csv", ref_date: date | None = None) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        parse_status_file(content, name, ref_date)
    assert "何も登録していません" in caught.value.message
    return [str(i) for i in caught.value.issues]


def test_valid_file_with_aliases_and_wareki() -> None:
    result = parse_status_file(
        csv_bytes(
            "011002,札幌市,単独クラウド,自治体クラウド,H33,,H30.6.15",
            "012025,函館市,自治体,,,はこだてクラウド,2018/6/15",
            "131016,千代田区,未導入,未定,,,2018-06-15",
        ),
        "status.csv",
    )
    assert result.ref_date == date(2018, 6, 15)
    first, second, third = result.records
    assert (first.status, first.plan, first.target_fy) == (Status.STANDALONE, Plan.SHARED, 2021)
    assert (second.status, second.group) == (Status.SHARED, "はこだてクラウド")
    assert third.status is Status.NONE and not result.warnings


def test_cp932_file_is_read() -> None:
    content = csv_bytes("011002,札幌市,単独クラウド,,,,2018-06-15", encoding="cp932")
    assert parse_status_file(content, "status.csv").records[0].lg_code == "011002"


def test_unknown_codes_bad_check_digits_duplicates_and_bad_statuses_are_all_reported_with_rows() -> None:
    issues = rejected(
        csv_bytes(
            "011002,札幌市,単独クラウド,,,,2018-06-15",  # row 2: fine
            "011003,札幌市,単独クラウド,,,,2018-06-15",  # row 3: bad check digit
            "011011,中央区,単独クラウド,,,,2018-06-15",  # row 4: a ward, not a 市区町村
            "010006,北海道,単独クラウド,,,,2018-06-15",  # row 5: a prefecture
            "011002,札幌市,単独クラウド,,,,2018-06-15",  # row 6: duplicate of row 2
            "012025,函館市,クラウド,,,,2018-06-15",  # row 7: bad status
            "13101,千代田区,単独クラウド,,,,2018-06-15",  # row 8: lost leading digit
            "012033,小樽市,自治体クラウド,単独クラウド,,,2018-06-15",  # row 9: contradictory plan
            "012041,旭川市,単独クラウド,様子見,来年,,2018-06-15",  # row 10: bad plan and year
        )
    )
    text = "\n".join(issues)
    assert "3行目 lg_code「011003」: 検査数字が誤っています（01100 の検査数字は 2）" in text
    assert "4行目 lg_code「011011」" in text and "1,741団体" in text
    assert "5行目 lg_code「010006」: 都道府県のコード" in text
    assert "6行目 lg_code「011002」: 2行目と重複しています" in text
    assert "7行目 status「クラウド」: 導入状況「クラウド」は不正です" in text
    assert "8行目 lg_code「13101」: 5桁です" in text
    assert "9行目 plan「単独クラウド」" in text
    assert "10行目 plan「様子見」" in text and "10行目 target_fy「来年」" in text


def test_different_reference_dates_are_never_merged() -> None:
    issues = rejected(csv_bytes("011002,札幌市,単独クラウド,,,,2018-04-01", "012025,函館市,単独クラウド,,,,2018-06-15"))
    assert any("基準日が複数あります" in i for i in issues)
    only_column = csv_bytes("011002,札幌市,単独クラウド,,,,2018-04-01")
    assert any("基準日が複数" in i for i in rejected(only_column, ref_date=date(2018, 6, 15)))


def test_reference_date_is_required() -> None:
    header = "団体コード,導入状況\n"
    assert any("基準日がありません" in i for i in rejected(csv_bytes("011002,単独クラウド", header=header)))
    result = parse_status_file(csv_bytes("011002,単独クラウド", header=header), "s.csv", date(2018, 6, 15))
    assert result.ref_date == date(2018, 6, 15)


def test_header_problems() -> None:
    assert any("必須の列がありません" in i for i in rejected(csv_bytes("011002", header="団体コード\n")))
    assert any("不明な列" in i for i in rejected(csv_bytes("011002,単独,x", header="団体コード,導入状況,備考欄\n")))
    assert any("見出し行がありません" in i for i in rejected(b""))
    assert any("データ行がありません" in i for i in rejected(HEADER.encode()))
    assert any("CSV (.csv) か Excel" in i for i in rejected(b"x", name="status.pdf"))


def test_name_mismatch_is_a_warning_only() -> None:
    result = parse_status_file(csv_bytes("011002,函館市,単独クラウド,,,,2018-06-15"), "s.csv")
    assert result.records and "札幌市" in str(result.warnings[0])
    content = "都道府県名,団体コード,導入状況,基準日\n青森県,011002,単独,2018-06-15\n北海道,012025,単独,2018-06-15\n"
    warned = parse_status_file(content.encode(), "s.csv")
    assert len(warned.records) == 2 and [str(w) for w in warned.warnings] == [
        "2行目 prefecture「青森県」: 都道府県がコードの団体（北海道）と異なります"
    ]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_dates_and_numbers() -> None:
    content = xlsx_bytes(
        [["lg_code", "status", "target_fy", "ref_date"], ["011002", "standalone", 2021, date(2018, 6, 15)]]
    )
    result = parse_status_file(content, "status.xlsx")
    assert result.ref_date == date(2018, 6, 15) and result.records[0].target_fy == 2021


def test_xlsx_numeric_code_that_lost_its_zero() -> None:
    content = xlsx_bytes([["lg_code", "status", "ref_date"], [11002, "standalone", "2018-06-15"]])
    assert any("5桁です" in i for i in rejected(content, name="status.xlsx"))


def test_broken_xlsx() -> None:
    assert any("Excel ファイルとして読めません" in i for i in rejected(b"not a zip", name="status.xlsx"))


def test_cost_file() -> None:
    content = '団体コード,年度,経費\n011002,2017,"7,000,000,000"\n012025,H29,900000000\n'.encode()
    assert parse_cost_file(content, "cost.csv").costs == {
        ("011002", 2017): 7_000_000_000,
        ("012025", 2017): 900_000_000,
    }
    with pytest.raises(ImportRejected) as caught:
        parse_cost_file("団体コード,年度,経費\n011002,2017,-1\n011002,2017,5\n".encode(), "cost.csv")
    text = "\n".join(str(i) for i in caught.value.issues)
    assert "2行目 amount_yen「-1」: 金額が負です" in text and "3行目" in text


def test_population_file() -> None:
    assert parse_population_file(b"lg_code,population\n011002,1973395\n", "p.csv") == {"011002": 1_973_395}

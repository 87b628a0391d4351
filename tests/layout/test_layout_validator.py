"""Every rule type is caught at the right line and item; one error per cell; masking; 外字 provenance."""

from __future__ import annotations

from pathlib import Path

from layout_mini import GOOD, HEADER, num, row, triples, validate_text

from lgcloud.layout import Dialect, Layout, Validator

GOOD2 = row(番号=num(2))


def test_clean_file_is_valid(mini: Layout, tmp_path: Path) -> None:
    result = validate_text(mini, tmp_path, [GOOD, GOOD2])
    assert result.valid, result.errors
    assert result.records == 3 and result.files[0].valid_records == 2


def test_every_item_rule_at_its_line_and_item(mini: Layout, tmp_path: Path) -> None:
    lines = [
        GOOD,                                   # 2
        row(番号=num(10), 氏名=""),       # 3 required
        row(番号=num(11), 人数="x"),       # 4 type (integer)
        row(番号=num(12), 生年月日="20230230"),  # 5 date
        row(番号=num(13), 性別="3"),      # 6 code
        row(番号=num(14), 氏名="一二三四五六七八九十一"),  # 7 length (characters)
        row(番号=num(15), 住所="東京都千代田"),  # 8 length (cp932 bytes: 12 > 9)
        row(番号=num(16), 郵便="1000001"),  # 9 pattern
        row(番号="123456789019"),               # 10 check-digit
        row(番号=num(17), 人数="10"),      # 11 range
        row(番号=num(18), カナ="ﾔﾏﾀﾞ"),    # 12 type (kana: half-width is not allowed)
        row(番号=num(19), 性別="2", 郵便=""),  # 13 required-if
        row(番号=num(20), 届出日="19700101"),  # 14 date-order
        row(番号=num(21), 世帯="2000"),    # 15 foreign-key
    ]
    result = validate_text(mini, tmp_path, lines)
    want = {(3, "氏名", "required"), (4, "人数", "type"), (5, "生年月日", "date"), (6, "性別", "code"),
            (7, "氏名", "length"), (8, "住所", "length"), (9, "郵便", "pattern"), (10, "番号", "check-digit"),
            (11, "人数", "range"), (12, "カナ", "type"), (13, "郵便", "required-if"), (14, "届出日", "date-order"),
            (15, "世帯", "foreign-key"), (15, "続柄", "group-count")}
    assert triples(result) == want


def test_record_rules(mini: Layout, tmp_path: Path) -> None:
    lines = [GOOD, GOOD, row(番号=num(2)) + ",extra", "", row(番号=num(10), 続柄="20")]
    result = validate_text(mini, tmp_path, lines)
    assert triples(result) == {(3, "番号", "primary-key"), (4, None, "field-count"), (5, None, "blank-row")}
    assert result.files[0].records == 5


def test_group_rule_reports_the_first_line_of_the_group(mini: Layout, tmp_path: Path) -> None:
    lines = [row(番号=num(2), 世帯="1000"),                     # 1000: no 世帯主
             row(番号=num(10), 世帯="3000", 続柄="02"),          # 3000: two 世帯主 …
             row(番号="123456789018", 世帯="3000", 続柄="02"),
             row(番号="123456789018", 世帯="3000", 続柄="02")]          # … a duplicate record is not a third
    result = validate_text(mini, tmp_path, lines, homes="世帯\n1000\n3000\n")
    assert triples(result) == {(2, "続柄", "group-count"), (3, "続柄", "group-count"), (5, "番号", "primary-key")}


def test_one_error_per_cell_most_basic_first(mini: Layout, tmp_path: Path) -> None:
    result = validate_text(mini, tmp_path, [GOOD, row(番号="12345678901X")])
    assert triples(result) == {(3, "番号", "type")}  # not also check-digit


def test_personal_number_is_masked(mini: Layout, tmp_path: Path) -> None:
    result = validate_text(mini, tmp_path, [row(番号="123456789019", 続柄="02")])
    [error] = result.errors.to_dicts()
    assert error["value"] == "************"
    assert "123456789019" not in str(result.errors.to_dicts())


def test_field_count_rows_mask_personal_numbers(mini: Layout, tmp_path: Path) -> None:
    result = validate_text(mini, tmp_path, [GOOD + ",x"])
    [error] = result.errors.to_dicts()
    assert error["rule"] == "field-count" and "123456789018" not in error["value"]


def test_gaiji_mapped_with_provenance_and_unmapped_with_position(mini: Layout, tmp_path: Path) -> None:
    lines = [row(氏名="\ue000田太郎", 続柄="02"), row(番号=num(2), 氏名="山\ue001太郎", 続柄="20"),
             row(番号=num(10), 住所="\ue000", 続柄="20")]
    result = validate_text(mini, tmp_path, lines, gaiji={"F040": "MJ028902"})
    assert triples(result) == {(3, "氏名", "gaiji-unmapped"), (4, "住所", "gaiji-not-allowed")}
    unmapped = result.errors.filter(result.errors["rule"] == "gaiji-unmapped").to_dicts()[0]
    assert "U+E001" in unmapped["message"] and "F041" in unmapped["message"] and "2文字目" in unmapped["message"]
    [mapped] = result.gaiji.to_dicts()
    assert mapped["line"] == 2 and mapped["codepoint"] == "U+E000" and mapped["vendor_code"] == "F040"
    assert mapped["mapped_to"] == "MJ028902"


def test_missing_reference_file_is_a_warning(mini: Layout, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_bytes(f"{HEADER}\n{GOOD}\n".encode("cp932"))
    result = Validator(mini, Dialect(encoding="cp932")).validate([(mini.file("people"), tmp_path / "p.csv")])
    assert result.valid and "homes" in result.warnings[0]
